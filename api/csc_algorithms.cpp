// The CSC API's algorithm identifiers (api/csc_requests.hpp): hashAlgorithmOID, signAlgo and
// RSASSA-PSS's signAlgoParams mapped onto the HSM's digest and padding, and base64 hashes.
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>

#include "api/csc_request_errors.hpp"
#include "api/csc_requests.hpp"
#include "common/digest_nid.hpp"

namespace signet::api {

using namespace csc_detail;

namespace {

// --- RSASSA-PSS-params (RFC 8017 A.2.3) ---

struct PssParamsFree {
    void operator()(RSA_PSS_PARAMS* p) const noexcept { RSA_PSS_PARAMS_free(p); }
};
struct AlgorFree {
    void operator()(X509_ALGOR* p) const noexcept { X509_ALGOR_free(p); }
};

std::optional<Digest> digest_of_nid(int nid) {
    for (Digest d : {Digest::sha256, Digest::sha384, Digest::sha512})
        if (digest_nid(d) == nid)
            return d;
    return std::nullopt;
}

// RFC 4055 §2.1 / RFC 5754 §2: a SHA-2 AlgorithmIdentifier's parameters are absent or NULL.
std::optional<Digest> sha2_of(const X509_ALGOR* algorithm) {
    if (algorithm == nullptr)
        return std::nullopt;  // absent means SHA-1 (RFC 8017 A.2.3): not taken
    const ASN1_OBJECT* oid = nullptr;
    int parameter_type = V_ASN1_UNDEF;
    X509_ALGOR_get0(&oid, &parameter_type, nullptr, algorithm);
    if (parameter_type != V_ASN1_UNDEF && parameter_type != V_ASN1_NULL)
        return std::nullopt;
    return digest_of_nid(OBJ_obj2nid(oid));
}

// The digest the parameters name, when they are exactly what hsm::Padding::pss signs with:
// hashAlgorithm a SHA-2, maskGenAlgorithm MGF1 with the same hash, saltLength the hash's
// length, trailerField 1 (trailerFieldBC, RFC 8017 A.2.3) — given in DER (X.690 §11.5: a
// DEFAULT value is omitted, so re-encoding yields the same bytes).
std::optional<Digest> pss_digest(ByteView der) {
    const unsigned char* p = der.data();
    std::unique_ptr<RSA_PSS_PARAMS, PssParamsFree> params(
        d2i_RSA_PSS_PARAMS(nullptr, &p, static_cast<long>(der.size())));
    if (!params || p != der.data() + der.size()) {
        clear_openssl_errors();
        return std::nullopt;
    }
    unsigned char* again = nullptr;
    const int length = i2d_RSA_PSS_PARAMS(params.get(), &again);
    const bool canonical = length == static_cast<int>(der.size()) &&
                           std::equal(der.begin(), der.end(), again);
    OPENSSL_free(again);
    if (!canonical) {
        clear_openssl_errors();
        return std::nullopt;
    }
    const auto digest = sha2_of(params->hashAlgorithm);
    if (!digest || params->maskGenAlgorithm == nullptr)
        return std::nullopt;
    const ASN1_OBJECT* mgf = nullptr;
    int mgf_type = V_ASN1_UNDEF;
    const void* mgf_value = nullptr;
    X509_ALGOR_get0(&mgf, &mgf_type, &mgf_value, params->maskGenAlgorithm);
    if (OBJ_obj2nid(mgf) != NID_mgf1 || mgf_type != V_ASN1_SEQUENCE)
        return std::nullopt;
    const auto* sequence = static_cast<const ASN1_STRING*>(mgf_value);
    const unsigned char* q = ASN1_STRING_get0_data(sequence);
    std::unique_ptr<X509_ALGOR, AlgorFree> mgf_hash(
        d2i_X509_ALGOR(nullptr, &q, ASN1_STRING_length(sequence)));
    if (!mgf_hash) {
        clear_openssl_errors();
        return std::nullopt;
    }
    if (sha2_of(mgf_hash.get()) != digest)
        return std::nullopt;
    // saltLength absent is 20 (A.2.3's DEFAULT), which no SHA-2 here is.
    if (params->saltLength == nullptr ||
        ASN1_INTEGER_get(params->saltLength) != static_cast<long>(digest_size(*digest)))
        return std::nullopt;
    if (params->trailerField != nullptr && ASN1_INTEGER_get(params->trailerField) != 1)
        return std::nullopt;
    return digest;
}

}  // namespace

// --- OIDs ---

std::optional<Digest> digest_of_oid(std::string_view oid) {
    if (oid == kOidSha256)
        return Digest::sha256;
    if (oid == kOidSha384)
        return Digest::sha384;
    if (oid == kOidSha512)
        return Digest::sha512;
    return std::nullopt;
}

std::string_view oid_of(Digest digest) noexcept {
    switch (digest) {
        case Digest::sha256:
            return kOidSha256;
        case Digest::sha384:
            return kOidSha384;
        case Digest::sha512:
            return kOidSha512;
    }
    return kOidSha256;
}

namespace {

// The signAlgo OIDs that name their hash (RFC 5758 §3.2, RFC 4055 §5).
struct ImpliedHash {
    std::string_view oid;
    Digest digest;
    hsm::Padding padding;
};
constexpr ImpliedHash kImplied[] = {
    {"1.2.840.10045.4.3.2", Digest::sha256, hsm::Padding::ecdsa},
    {"1.2.840.10045.4.3.3", Digest::sha384, hsm::Padding::ecdsa},
    {"1.2.840.10045.4.3.4", Digest::sha512, hsm::Padding::ecdsa},
    {"1.2.840.113549.1.1.11", Digest::sha256, hsm::Padding::pkcs1},
    {"1.2.840.113549.1.1.12", Digest::sha384, hsm::Padding::pkcs1},
    {"1.2.840.113549.1.1.13", Digest::sha512, hsm::Padding::pkcs1},
};

}  // namespace

std::vector<std::string> sign_algorithms_of(KeyType type) {
    std::vector<std::string> out;
    const hsm::Padding family = is_ec(type) ? hsm::Padding::ecdsa : hsm::Padding::pkcs1;
    out.emplace_back(is_ec(type) ? kOidEcPublicKey : kOidRsaEncryption);
    for (const ImpliedHash& i : kImplied)
        if (i.padding == family)
            out.emplace_back(i.oid);
    if (!is_ec(type))
        out.emplace_back(kOidRsaPss);
    return out;
}

std::vector<std::string> all_sign_algorithms() {
    std::vector<std::string> out = sign_algorithms_of(KeyType::ec_p256);
    for (std::string& oid : sign_algorithms_of(KeyType::rsa_2048))
        out.push_back(std::move(oid));
    return out;
}

SignAlgorithm resolve_sign_algorithm(std::string_view sign_algo,
                                     const std::optional<std::string>& hash_algorithm_oid,
                                     const std::optional<std::string>& sign_algo_params) {
    std::optional<Digest> named;
    if (hash_algorithm_oid) {
        named = digest_of_oid(*hash_algorithm_oid);
        if (!named)
            invalid(invalid_parameter("hashAlgorithmOID"));
    }
    if (sign_algo == kOidRsaPss) {
        if (!sign_algo_params)
            invalid(missing("string", "signAlgoParams"));
        Bytes der;
        try {
            der = from_base64(*sign_algo_params);
        } catch (const Error&) {
            invalid(invalid_parameter("signAlgoParams"));
        }
        const auto digest = pss_digest(der);
        if (!digest)
            invalid(invalid_parameter("signAlgoParams") +
                    ": Signet signs RSASSA-PSS with MGF1 over the same SHA-2 hash, a salt as long "
                    "as the hash and trailerField 1 (RFC 8017 A.2.3), given in DER");
        if (named && *named != *digest)
            invalid("String parameter hashAlgorithmOID contradicts with signAlgo parameter");
        return {*digest, hsm::Padding::pss};
    }
    // RFC 5758 §3.2, RFC 4055 §5: these algorithms take no parameters.
    if (sign_algo_params)
        invalid(invalid_parameter("signAlgoParams"));
    if (sign_algo == kOidEcPublicKey || sign_algo == kOidRsaEncryption) {
        if (!named)
            invalid(missing("string", "hashAlgorithmOID"));
        return {*named, sign_algo == kOidEcPublicKey ? hsm::Padding::ecdsa : hsm::Padding::pkcs1};
    }
    for (const ImpliedHash& i : kImplied) {
        if (sign_algo != i.oid)
            continue;
        if (named && *named != i.digest)
            invalid("String parameter hashAlgorithmOID contradicts with signAlgo parameter");
        return {i.digest, i.padding};
    }
    invalid(invalid_parameter("signAlgo"));
}

Bytes decode_hash(std::string_view base64, Digest digest) {
    Bytes hash;
    try {
        hash = from_base64(base64);
    } catch (const Error&) {
        invalid("Invalid Base64 hash string parameter");
    }
    if (hash.size() != digest_size(digest))
        invalid("Invalid digest value length");
    return hash;
}

}  // namespace signet::api
