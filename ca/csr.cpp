#include "ca/csr.hpp"

#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>

#include "ca/public_key.hpp"
#include "ca/x509.hpp"
#include "common/der_reader.hpp"
#include "common/error.hpp"

namespace signet::ca {

namespace {

constexpr std::string_view kNotACsr = "CSR is neither DER nor PEM PKCS#10";

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

[[noreturn]] void not_a_csr(std::string_view why) {
    throw Error(Errc::invalid_argument, std::string(kNotACsr) + " (" + std::string(why) + ")");
}

// RFC 2986 §4, read with common/der_reader.hpp rather than d2i_X509_REQ, whose parse of the
// SubjectPublicKeyInfo runs OpenSSL 3.0's decoders (about three signatures' worth of CPU):
//   CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm
//     AlgorithmIdentifier, signature BIT STRING }
//   CertificationRequestInfo ::= SEQUENCE { version INTEGER { v1(0) }, subject Name,
//     subjectPKInfo SubjectPublicKeyInfo, attributes [0] IMPLICIT SET OF Attribute }
// Each part OpenSSL reads (the name, the attributes, the algorithm, the signature) is read by
// its own d2i, so nothing d2i_X509_REQ refused is let through; the key is
// public_key_from_info's.
struct RequestParts {
    ByteView info;                // certificationRequestInfo, the signed bytes
    X509NamePtr subject;
    ByteView public_key_info;     // SubjectPublicKeyInfo, as the CSR carries it
    X509AlgorPtr signature_algorithm;
    Asn1BitStringPtr signature;
};

// One DER element decoded by OpenSSL's d2i for its type, all of it consumed.
template <class Owner, class T>
Owner decode(T* (*d2i)(T**, const unsigned char**, long), ByteView encoding,
             std::string_view what) {
    const unsigned char* p = encoding.data();
    Owner out(d2i(nullptr, &p, static_cast<long>(encoding.size())));
    if (!out || p != encoding.data() + encoding.size()) {
        clear_openssl_errors();
        not_a_csr(std::string("its ") + std::string(what) + " cannot be read");
    }
    return out;
}

RequestParts request_from_der(ByteView der) {
    RequestParts parts;
    try {
        ByteView rest = der;
        const der::Element request = der::read(rest, der::kSequence, "the CertificationRequest");
        if (!rest.empty())
            throw Error(Errc::invalid_argument, "CSR has trailing data after its DER");
        ByteView fields = request.content;
        const der::Element info =
            der::read(fields, der::kSequence, "the certificationRequestInfo");
        const der::Element algorithm =
            der::read(fields, der::kSequence, "the signatureAlgorithm");
        const der::Element signature = der::read(fields, der::kBitString, "the signature");
        if (!fields.empty())
            not_a_csr("data after its signature");

        ByteView info_fields = info.content;
        const der::Element version = der::read(info_fields, der::kInteger, "the version");
        // RFC 2986 §4.1: "version is the version number, for compatibility with future
        // revisions of this document.  It shall be 0 for this version of the standard."
        if (version.content.size() != 1 || version.content[0] != 0)
            not_a_csr("its version is not v1 (0)");
        const der::Element subject = der::read(info_fields, der::kSequence, "the subject");
        const der::Element key = der::read(info_fields, der::kSequence, "the subjectPKInfo");
        // [0] IMPLICIT SET OF Attribute: OPTIONAL for OpenSSL (some requesters leave it out),
        // and each attribute must read as one (d2i_X509_REQ refused a malformed one). At most
        // 64: a request carries one or two (extensionRequest, challengePassword).
        if (!info_fields.empty()) {
            const der::Element attributes =
                der::read(info_fields, der::kContext0, "the attributes");
            for (const der::Element& attribute :
                 der::read_all(attributes.content, 64, "the attributes"))
                (void)decode<X509AttributePtr>(d2i_X509_ATTRIBUTE, attribute.encoding,
                                               "attributes");
        }
        if (!info_fields.empty())
            not_a_csr("data after its attributes");
        parts.subject = decode<X509NamePtr>(d2i_X509_NAME, subject.encoding, "subject");
        parts.info = info.encoding;
        parts.public_key_info = key.encoding;
        parts.signature_algorithm =
            decode<X509AlgorPtr>(d2i_X509_ALGOR, algorithm.encoding, "signatureAlgorithm");
        parts.signature = decode<Asn1BitStringPtr>(d2i_ASN1_BIT_STRING, signature.encoding,
                                                   "signature");
    } catch (const Error& e) {
        const std::string_view message = e.what();
        if (message.starts_with("CSR "))
            throw;
        not_a_csr(message);
    }
    return parts;
}

// RFC 7468 §2, strictly: exactly one "CERTIFICATE REQUEST" block (or the older "NEW
// CERTIFICATE REQUEST" label, §7), nothing but whitespace before or after it, no headers, and
// DER inside with nothing after it — the same rule the DER path applies, so no second request
// or stray text rides along unseen.
Bytes request_from_pem(ByteView data) {
    const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
    BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* body = nullptr;
    long length = 0;
    if (!bio || PEM_read_bio(bio.get(), &name, &header, &body, &length) != 1) {
        clear_openssl_errors();
        throw Error(Errc::invalid_argument, std::string(kNotACsr));
    }
    const OpensslBytesPtr owned_name(reinterpret_cast<unsigned char*>(name));
    const OpensslBytesPtr owned_header(reinterpret_cast<unsigned char*>(header));
    const OpensslBytesPtr owned_body(body);
    const std::string_view label(name);
    if (label != "CERTIFICATE REQUEST" && label != "NEW CERTIFICATE REQUEST")
        throw Error(Errc::invalid_argument, "CSR PEM block is '" +
                                                std::string(label.substr(0, 40)) +
                                                "', not 'CERTIFICATE REQUEST'");
    if (*header != '\0')
        throw Error(Errc::invalid_argument, "CSR PEM block has headers (RFC 7468 allows none)");
    // What PEM_read_bio left unread must be whitespace: a second block, or anything else after
    // the END line, is refused.
    const std::size_t consumed = data.size() - static_cast<std::size_t>(BIO_pending(bio.get()));
    if (!std::ranges::all_of(text.substr(consumed), is_space))
        throw Error(Errc::invalid_argument,
                    "CSR PEM has data after its END line (exactly one CERTIFICATE REQUEST block "
                    "is accepted)");
    return Bytes(body, body + length);
}

// The request's DER: `data` itself, or what its PEM block holds (kept in `pem_body`).
ByteView read_request(ByteView data, Bytes& pem_body) {
    const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
    const auto start = std::ranges::find_if_not(text, is_space) - text.begin();
    // From the BEGIN line on: PEM_read_bio wants it at the start of a line.
    if (text.substr(static_cast<std::size_t>(start)).starts_with("-----BEGIN ")) {
        pem_body = request_from_pem(data.subspan(static_cast<std::size_t>(start)));
        return pem_body;
    }
    // PEM_read_bio would skip any text before a BEGIN line; a PEM with a preamble is refused
    // (a DER request starts with its SEQUENCE tag, 0x30).
    if (text.front() != 0x30 && text.find("-----BEGIN ") != std::string_view::npos)
        throw Error(Errc::invalid_argument,
                    "CSR PEM has data before its BEGIN line (exactly one CERTIFICATE REQUEST "
                    "block is accepted)");
    return data;
}

// The hash a digest AlgorithmIdentifier names, if it is SHA-256, -384 or -512.
bool is_sha2_algorithm(const X509_ALGOR* algorithm) {
    if (algorithm == nullptr)
        return false;  // absent: the RSA-PSS default, SHA-1 (RFC 4055 §3.1)
    const ASN1_OBJECT* oid = nullptr;
    X509_ALGOR_get0(&oid, nullptr, nullptr, algorithm);
    const int nid = OBJ_obj2nid(oid);
    return nid == NID_sha256 || nid == NID_sha384 || nid == NID_sha512;
}

// RSASSA-PSS parameters (RFC 4055 §3.1) whose hash and MGF1 hash are SHA-256/384/512.
bool is_sha2_pss(const void* parameters, int parameter_type) {
    if (parameter_type != V_ASN1_SEQUENCE || parameters == nullptr)
        return false;
    const auto* sequence = static_cast<const ASN1_STRING*>(parameters);
    const unsigned char* p = ASN1_STRING_get0_data(sequence);
    const RsaPssParamsPtr pss(d2i_RSA_PSS_PARAMS(nullptr, &p, ASN1_STRING_length(sequence)));
    if (!pss || !is_sha2_algorithm(pss->hashAlgorithm) || pss->maskGenAlgorithm == nullptr)
        return false;
    const ASN1_OBJECT* mgf = nullptr;
    int mgf_parameter_type = 0;
    const void* mgf_parameter = nullptr;
    X509_ALGOR_get0(&mgf, &mgf_parameter_type, &mgf_parameter, pss->maskGenAlgorithm);
    if (OBJ_obj2nid(mgf) != NID_mgf1 || mgf_parameter_type != V_ASN1_SEQUENCE)
        return false;
    const auto* mgf_sequence = static_cast<const ASN1_STRING*>(mgf_parameter);
    const unsigned char* q = ASN1_STRING_get0_data(mgf_sequence);
    const X509AlgorPtr mgf_hash(d2i_X509_ALGOR(nullptr, &q, ASN1_STRING_length(mgf_sequence)));
    return mgf_hash && is_sha2_algorithm(mgf_hash.get());
}

// Only SHA-2 signatures prove possession: a SHA-1 (or MD5) signature can be a collision's
// (SHAttered, 2017; the CA/Browser Forum's BR §7.1.3.2 allows SHA-256/384/512 only). Checked
// before the signature is verified, so nothing weak is ever computed on a client's behalf.
void check_signature_algorithm(const X509_ALGOR* algorithm) {
    const ASN1_OBJECT* oid = nullptr;
    int parameter_type = 0;
    const void* parameters = nullptr;
    X509_ALGOR_get0(&oid, &parameter_type, &parameters, algorithm);
    const int nid = OBJ_obj2nid(oid);
    switch (nid) {
        case NID_sha256WithRSAEncryption:
        case NID_sha384WithRSAEncryption:
        case NID_sha512WithRSAEncryption:
        case NID_ecdsa_with_SHA256:
        case NID_ecdsa_with_SHA384:
        case NID_ecdsa_with_SHA512:
            return;
        case NID_rsassaPss:
            if (is_sha2_pss(parameters, parameter_type))
                return;
            throw Error(Errc::invalid_argument,
                        "CSR signature is RSA-PSS with a hash other than SHA-256/384/512 "
                        "(or the SHA-1 default); sign it with SHA-256, SHA-384 or SHA-512");
        default: {
            char dotted[80] = {};
            OBJ_obj2txt(dotted, sizeof dotted, oid, 1);
            const char* name = nid == NID_undef ? nullptr : OBJ_nid2ln(nid);
            throw Error(Errc::invalid_argument,
                        "CSR signature algorithm " +
                            (name != nullptr ? std::string(name) + " (" + dotted + ")"
                                             : std::string(dotted)) +
                            " is not accepted: only SHA-256/384/512 with RSA PKCS#1 v1.5, "
                            "RSA-PSS or ECDSA");
        }
    }
}

}  // namespace

CertificateRequest parse_certificate_request(ByteView data, std::span<const KeyType> allowed) {
    // Bounded before parsing (DESIGN.md invariant 7).
    if (data.size() > kMaxCsrBytes)
        throw Error(Errc::invalid_argument,
                    "CSR is larger than " + std::to_string(kMaxCsrBytes) + " bytes");
    if (data.empty())
        throw Error(Errc::invalid_argument, std::string(kNotACsr));
    Bytes pem_body;
    const RequestParts request = request_from_der(read_request(data, pem_body));

    CertificateRequest out;
    try {
        out.public_key = public_key_from_info(request.public_key_info);
        out.key_type = key_type_of(out.public_key.get());
        check_rsa_public_exponent(out.public_key.get());
    } catch (const Error& e) {
        throw Error(Errc::invalid_argument, std::string("CSR key: ") + e.what());
    }
    check_signature_algorithm(request.signature_algorithm.get());
    // RFC 2986 §3: the signature over certificationRequestInfo proves possession of the key.
    // Verified over the bytes the CSR carries (as X509_REQ_verify does over the encoding it
    // kept): ASN1_ANY writes a SEQUENCE's stored encoding verbatim, and ASN1_item_verify
    // applies the signature algorithm's parameters (RSA-PSS's hash, MGF1 and salt length) as
    // X509_REQ_verify did.
    ASN1_STRING info_bytes{};
    info_bytes.type = V_ASN1_SEQUENCE;
    info_bytes.length = static_cast<int>(request.info.size());
    info_bytes.data = const_cast<unsigned char*>(request.info.data());
    ASN1_TYPE info{};
    info.type = V_ASN1_SEQUENCE;
    info.value.sequence = &info_bytes;
    if (ASN1_item_verify(ASN1_ITEM_rptr(ASN1_ANY), request.signature_algorithm.get(),
                         request.signature.get(), &info, out.public_key.get()) != 1) {
        clear_openssl_errors();
        throw Error(Errc::invalid_argument,
                    "CSR signature does not verify (proof of possession failed)");
    }
    if (std::ranges::find(allowed, out.key_type) == allowed.end()) {
        std::string names;
        for (KeyType type : allowed)
            names += (names.empty() ? "" : ", ") + std::string(to_string(type));
        throw Error(Errc::invalid_argument,
                    "CSR key type " + std::string(to_string(out.key_type)) +
                        " is not allowed by the profile (allowed: " + names + ")");
    }
    // The bytes the CSR holds, which the certificate copies.
    out.public_key_info.assign(request.public_key_info.begin(), request.public_key_info.end());
    out.subject = format_distinguished_name(request.subject.get());
    return out;
}

}  // namespace signet::ca
