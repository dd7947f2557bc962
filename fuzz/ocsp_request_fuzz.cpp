// libFuzzer target: the OCSP request decoder, ocsp::decode_request — what the responder runs on
// every request before anything else (ocsp/status_responder.cpp). Arbitrary bytes must give
// either Errc::invalid_argument or a request that keeps the decoder's promises: 1..max_ids
// CertIDs, each hashed with SHA-1 (20-octet hashes) or SHA-256 (32), a serial, a nonce of 1..32
// octets; and each CertID must come back whole from the CertID a response would carry
// (ocsp::cert_id_der). Never a crash, a leak or another exception (DESIGN.md invariant 7).
#include <openssl/ocsp.h>

#include <cstddef>
#include <cstdint>

#include "common/error.hpp"
#include "common/handle.hpp"
#include "ocsp/request.hpp"
#include "ocsp/response.hpp"

namespace {

using namespace signet;

[[noreturn]] void broken(const char*) {
    __builtin_trap();
}

Bytes octets(const ASN1_STRING* s) {
    return Bytes(ASN1_STRING_get0_data(s), ASN1_STRING_get0_data(s) + ASN1_STRING_length(s));
}

// The CertID a response would name must say what the request said.
void check_round_trip(const ocsp::CertIdQuery& id) {
    const Bytes der = ocsp::cert_id_der(id);
    const unsigned char* p = der.data();
    OcspCertIdPtr cert_id(d2i_OCSP_CERTID(nullptr, &p, static_cast<long>(der.size())));
    if (!cert_id || p != der.data() + der.size())
        broken("the response's CertID does not decode");
    ASN1_OCTET_STRING* name_hash = nullptr;
    ASN1_OBJECT* algorithm = nullptr;
    ASN1_OCTET_STRING* key_hash = nullptr;
    ASN1_INTEGER* serial = nullptr;
    if (OCSP_id_get0_info(&name_hash, &algorithm, &key_hash, &serial, cert_id.get()) != 1)
        broken("the response's CertID cannot be read");
    const int nid = id.hash == ocsp::CertIdHash::sha1 ? NID_sha1 : NID_sha256;
    if (OBJ_obj2nid(algorithm) != nid || octets(name_hash) != id.issuer_name_hash ||
        octets(key_hash) != id.issuer_key_hash)
        broken("the response's CertID names another issuer");
    const ocsp::DecodedRequest again = [&] {
        // The serial's content octets, checked through a one-CertID request of our own.
        OcspRequestPtr request(OCSP_REQUEST_new());
        OCSP_CERTID* copy = OCSP_CERTID_dup(cert_id.get());
        if (!request || copy == nullptr || OCSP_request_add0_id(request.get(), copy) == nullptr)
            broken("cannot build a request");
        unsigned char* out = nullptr;
        const int size = i2d_OCSP_REQUEST(request.get(), &out);
        const OpensslBytesPtr owned(out);
        return ocsp::decode_request(ByteView(out, static_cast<std::size_t>(size)), 1);
    }();
    if (again.ids.size() != 1 || again.ids[0] != id)
        broken("the CertID does not survive a round trip");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    for (const std::size_t max_ids : {std::size_t{1}, std::size_t{8}}) {
        ocsp::DecodedRequest request;
        try {
            request = ocsp::decode_request(ByteView(data, size), max_ids);
        } catch (const Error& e) {
            if (e.code() != Errc::invalid_argument)
                broken("an error other than invalid_argument");
            continue;
        }
        if (size > ocsp::kMaxRequestBytes)
            broken("a request over the limit was taken");
        if (request.ids.empty() || request.ids.size() > max_ids)
            broken("the CertID count is out of bounds");
        if (request.nonce && (request.nonce->empty() || request.nonce->size() > ocsp::kMaxNonceBytes))
            broken("the nonce is out of bounds");
        for (const auto& id : request.ids) {
            const std::size_t hash_size = id.hash == ocsp::CertIdHash::sha1 ? 20 : 32;
            if (id.issuer_name_hash.size() != hash_size || id.issuer_key_hash.size() != hash_size)
                broken("a hash of the wrong size");
            if (id.serial.empty())
                broken("an empty serial");
            check_round_trip(id);
        }
    }
    return 0;
}
