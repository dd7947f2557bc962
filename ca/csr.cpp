#include "ca/csr.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>

#include "ca/x509.hpp"
#include "common/der.hpp"
#include "common/error.hpp"

namespace signet::ca {

namespace {

using X509ReqPtr = handle<X509_REQ, X509_REQ_free>;

X509ReqPtr read_request(ByteView data) {
    const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
    if (text.starts_with("-----BEGIN CERTIFICATE REQUEST-----") ||
        text.starts_with("-----BEGIN NEW CERTIFICATE REQUEST-----")) {
        BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
        X509ReqPtr req(bio ? PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr) : nullptr);
        if (!req)
            throw Error(Errc::invalid_argument, "CSR is neither DER nor PEM PKCS#10");
        return req;
    }
    const unsigned char* p = data.data();
    X509ReqPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(data.size())));
    if (!req)
        throw Error(Errc::invalid_argument, "CSR is neither DER nor PEM PKCS#10");
    if (p != data.data() + data.size())
        throw Error(Errc::invalid_argument, "CSR has trailing data after its DER");
    return req;
}

}  // namespace

CertificateRequest parse_certificate_request(ByteView data, std::span<const KeyType> allowed) {
    // Bounded before parsing (DESIGN.md invariant 7).
    if (data.size() > kMaxCsrBytes)
        throw Error(Errc::invalid_argument,
                    "CSR is larger than " + std::to_string(kMaxCsrBytes) + " bytes");
    if (data.empty())
        throw Error(Errc::invalid_argument, "CSR is neither DER nor PEM PKCS#10");
    const X509ReqPtr req = read_request(data);

    CertificateRequest out;
    out.public_key.reset(X509_REQ_get_pubkey(req.get()));
    if (!out.public_key)
        throw Error(Errc::invalid_argument, "CSR key cannot be read");
    try {
        out.key_type = key_type_of(out.public_key.get());
    } catch (const Error& e) {
        throw Error(Errc::invalid_argument, std::string("CSR key: ") + e.what());
    }
    // RFC 2986 §3: the signature over certificationRequestInfo proves possession of the key.
    if (X509_REQ_verify(req.get(), out.public_key.get()) != 1)
        throw Error(Errc::invalid_argument,
                    "CSR signature does not verify (proof of possession failed)");
    if (std::ranges::find(allowed, out.key_type) == allowed.end()) {
        std::string names;
        for (KeyType type : allowed)
            names += (names.empty() ? "" : ", ") + std::string(to_string(type));
        throw Error(Errc::invalid_argument,
                    "CSR key type " + std::string(to_string(out.key_type)) +
                        " is not allowed by the profile (allowed: " + names + ")");
    }
    // Re-encoded from the parsed structure, not from the key (no encoder runs): the bytes the
    // CSR holds, which the certificate copies.
    out.public_key_info = to_der(
        i2d_X509_PUBKEY, static_cast<const X509_PUBKEY*>(X509_REQ_get_X509_PUBKEY(req.get())));
    out.subject = format_distinguished_name(X509_REQ_get_subject_name(req.get()));
    return out;
}

}  // namespace signet::ca
