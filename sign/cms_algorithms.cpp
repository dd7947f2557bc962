#include "sign/cms_algorithms.hpp"

#include <openssl/objects.h>

#include <array>

#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/handle.hpp"

namespace signet::sign {

namespace {

std::size_t index_of(Digest digest) {
    switch (digest) {
        case Digest::sha256:
            return 0;
        case Digest::sha384:
            return 1;
        case Digest::sha512:
            return 2;
    }
    throw Error(Errc::internal, "an unknown digest");
}

// AlgorithmIdentifier DER of each signature scheme (the rules in the header), by digest index.
constexpr std::array<const char*, 3> kEcdsa = {
    "300a06082a8648ce3d040302", "300a06082a8648ce3d040303", "300a06082a8648ce3d040304"};
constexpr std::array<const char*, 3> kRsaPkcs1 = {"300d06092a864886f70d01010b0500",
                                                  "300d06092a864886f70d01010c0500",
                                                  "300d06092a864886f70d01010d0500"};
// SEQUENCE { id-RSASSA-PSS, RSASSA-PSS-params { [0] hashAlgorithm, [1] maskGenAlgorithm
// id-mgf1 with the same hash, [2] saltLength = 32, 48 or 64 } }; trailerField is the default.
constexpr std::array<const char*, 3> kRsaPss = {
    "304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d0101"
    "08300d06096086480165030402010500a203020120",
    "304106092a864886f70d01010a3034a00f300d06096086480165030402020500a11c301a06092a864886f70d0101"
    "08300d06096086480165030402020500a203020130",
    "304106092a864886f70d01010a3034a00f300d06096086480165030402030500a11c301a06092a864886f70d0101"
    "08300d06096086480165030402030500a203020140"};

}  // namespace

const EVP_MD* evp_md(Digest digest) {
    // Fetched once: EVP_get_digestbyname would fetch from the provider store on every use.
    static const std::array<EvpMdPtr, 3> digests = {
        EvpMdPtr(EVP_MD_fetch(nullptr, "SHA256", nullptr)),
        EvpMdPtr(EVP_MD_fetch(nullptr, "SHA384", nullptr)),
        EvpMdPtr(EVP_MD_fetch(nullptr, "SHA512", nullptr))};
    const EVP_MD* md = digests[index_of(digest)].get();
    if (md == nullptr)
        throw_openssl_error("cannot fetch a digest");
    return md;
}

Bytes hash(Digest digest, ByteView data) {
    return digest_of(evp_md(digest), data);
}

std::optional<Digest> digest_of_nid(int nid) {
    switch (nid) {
        case NID_sha256:
            return Digest::sha256;
        case NID_sha384:
            return Digest::sha384;
        case NID_sha512:
            return Digest::sha512;
        default:
            return std::nullopt;
    }
}

std::string_view lowercase_name(Digest digest) {
    switch (digest) {
        case Digest::sha256:
            return "sha256";
        case Digest::sha384:
            return "sha384";
        case Digest::sha512:
            return "sha512";
    }
    return "unknown";
}

void set_signature_algorithm(X509_ALGOR* algorithm, hsm::Padding padding, Digest digest) {
    const std::size_t i = index_of(digest);
    const char* hex = padding == hsm::Padding::ecdsa   ? kEcdsa[i]
                      : padding == hsm::Padding::pkcs1 ? kRsaPkcs1[i]
                                                       : kRsaPss[i];
    const Bytes der = from_hex(hex);
    const unsigned char* cursor = der.data();
    const X509AlgorPtr decoded(d2i_X509_ALGOR(nullptr, &cursor, static_cast<long>(der.size())));
    if (!decoded || X509_ALGOR_copy(algorithm, decoded.get()) != 1)
        throw_openssl_error("cannot set the signature algorithm");
}

}  // namespace signet::sign
