#include "ca/public_key.hpp"

#include <openssl/core_names.h>
#include <openssl/objects.h>

#include <array>
#include <optional>
#include <string>

#include "common/der_reader.hpp"
#include "common/error.hpp"

namespace signet::ca {

namespace {

// The algorithm OIDs, as their DER TLVs (RFC 5480 §2.1.1 id-ecPublicKey 1.2.840.10045.2.1;
// RFC 3279 §2.3.1 rsaEncryption 1.2.840.113549.1.1.1).
constexpr std::array<std::uint8_t, 9> kIdEcPublicKey = {0x06, 0x07, 0x2a, 0x86, 0x48,
                                                        0xce, 0x3d, 0x02, 0x01};
constexpr std::array<std::uint8_t, 11> kRsaEncryption = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                                         0xf7, 0x0d, 0x01, 0x01, 0x01};

[[noreturn]] void refuse(const std::string& message) {
    throw Error(Errc::invalid_argument, message);
}

// An OID's ASN1_OBJECT from its DER TLV (no copy of the bytes outlives the call).
Asn1ObjectPtr object_of(const der::Element& oid) {
    const unsigned char* p = oid.encoding.data();
    Asn1ObjectPtr object(d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(oid.encoding.size())));
    if (!object) {
        clear_openssl_errors();
        refuse("the subject public key is not DER: its algorithm is not an OBJECT IDENTIFIER");
    }
    return object;
}

std::string oid_name(const ASN1_OBJECT* object) {
    const int nid = OBJ_obj2nid(object);
    if (nid != NID_undef)
        return OBJ_nid2sn(nid);
    char dotted[80] = {};
    OBJ_obj2txt(dotted, sizeof dotted, object, 1);
    return dotted;
}

// The subjectPublicKey's octets: a BIT STRING of whole octets (X.690 §8.6.2.2: the first
// content octet counts the unused bits of the last; a key has none).
ByteView key_octets(const der::Element& bits) {
    if (bits.content.empty() || bits.content[0] != 0 || bits.content.size() < 2)
        refuse("the subject public key is not DER: its BIT STRING is empty or not whole octets");
    return bits.content.subspan(1);
}

EvpPkeyPtr from_data(const char* type, OSSL_PARAM_BLD* builder) {
    const OsslParamPtr params(OSSL_PARAM_BLD_to_param(builder));
    // The default library context: the same key manager every other key of the CA uses.
    const EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY* key = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
        clear_openssl_errors();
        return nullptr;
    }
    return EvpPkeyPtr(key);
}

// A key holding only the parameters of curve `nid` (P-256 or P-384), made once per thread.
const EVP_PKEY* curve_parameters(int nid) {
    const auto make = [](const char* group) {
        const OsslParamBldPtr builder(OSSL_PARAM_BLD_new());
        if (!builder ||
            OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, group,
                                            0) != 1)
            throw_openssl_error("cannot name an EC curve");
        const OsslParamPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
        const EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
        EVP_PKEY* key = nullptr;
        if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
            EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_KEY_PARAMETERS, params.get()) != 1)
            throw_openssl_error("cannot make the parameters of an EC curve");
        return EvpPkeyPtr(key);
    };
    thread_local const EvpPkeyPtr p256 = make(SN_X9_62_prime256v1);
    thread_local const EvpPkeyPtr p384 = make(SN_secp384r1);
    return nid == NID_secp384r1 ? p384.get() : p256.get();
}

EvpPkeyPtr ec_key(const der::Element& parameters, ByteView point) {
    // RFC 5480 §2.1.1: ECParameters ::= CHOICE { namedCurve OBJECT IDENTIFIER, ... };
    // specifiedCurve and implicitCurve "MUST NOT be used" in PKIX.
    if (parameters.tag != der::kObjectIdentifier)
        refuse("EC key with explicit parameters is not supported");
    const Asn1ObjectPtr curve = object_of(parameters);
    const int nid = OBJ_obj2nid(curve.get());
    const std::string name = oid_name(curve.get());
    // X9.62 §4.3.6 (SEC 1 §2.3.3): 02/03 compressed, 04 uncompressed. A lone 00 is the point
    // at infinity, which EC_POINT_oct2point would accept, and 06/07 the hybrid form RFC 5480
    // §2.2 forbids.
    if (point[0] != 0x02 && point[0] != 0x03 && point[0] != 0x04)
        refuse("the EC point is not in compressed or uncompressed form");
    // The curves of Signet's key types (common/algorithms.hpp); any other is refused as
    // key_type_of refuses it, before anything is built.
    if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1)
        refuse("EC key on curve " + name + " is not supported");
    // The key is the curve's parameters, copied from a key that holds only them, and the
    // point: EVP_PKEY_fromdata would build the curve's EC_GROUP anew for every key (its
    // Montgomery constants included: 23 µs against 6 µs here, on one thread). The template is
    // one per thread, so no EVP_PKEY is shared between threads.
    EvpPkeyPtr key(EVP_PKEY_new());
    if (!key || EVP_PKEY_copy_parameters(key.get(), curve_parameters(nid)) != 1)
        throw_openssl_error("cannot build an EC key");
    // A failure here is the point's: EC_POINT_oct2point (under EC_KEY_oct2key) refuses a wrong
    // length or a point off the curve. P-256 and P-384 have cofactor 1, so a point on the curve
    // other than infinity is in the group of prime order (SEC 1 §3.2.2.1's last step holds
    // without computing n·Q).
    if (EVP_PKEY_set1_encoded_public_key(key.get(), point.data(), point.size()) != 1) {
        clear_openssl_errors();
        refuse("the EC point is not a point on " + name);
    }
    return key;
}

// A positive DER INTEGER's magnitude (X.690 §8.3: two's complement, shortest form).
BignumPtr positive_integer(const der::Element& integer, const char* what) {
    const ByteView v = integer.content;
    if (v.empty() || (v[0] & 0x80) != 0 || (v.size() > 1 && v[0] == 0 && (v[1] & 0x80) == 0) ||
        (v.size() == 1 && v[0] == 0))
        refuse(std::string("the RSA key's ") + what + " is not a positive DER INTEGER");
    BignumPtr n(BN_bin2bn(v.data(), static_cast<int>(v.size()), nullptr));
    if (!n)
        throw_openssl_error("cannot read an RSA key");
    return n;
}

EvpPkeyPtr rsa_key(ByteView octets) {
    // RFC 8017 A.1.1: RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
    const der::Element key = der::read_only(octets, der::kSequence, "the RSA key");
    ByteView fields = key.content;
    const der::Element modulus = der::read(fields, der::kInteger, "the RSA key's modulus");
    const der::Element exponent = der::read(fields, der::kInteger, "the RSA key's exponent");
    if (!fields.empty())
        refuse("the RSA key is not DER: data after its exponent");
    const BignumPtr n = positive_integer(modulus, "modulus");
    const BignumPtr e = positive_integer(exponent, "exponent");
    const OsslParamBldPtr builder(OSSL_PARAM_BLD_new());
    if (!builder || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
        throw_openssl_error("cannot build an RSA key");
    EvpPkeyPtr built = from_data("RSA", builder.get());
    if (!built)
        refuse("the RSA key cannot be built from its modulus and exponent");
    return built;
}

}  // namespace

EvpPkeyPtr public_key_from_info(ByteView subject_public_key_info) {
    // RFC 5280 §4.1: SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier,
    // subjectPublicKey BIT STRING }; AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT
    // IDENTIFIER, parameters ANY OPTIONAL }.
    const der::Element info =
        der::read_only(subject_public_key_info, der::kSequence, "the subject public key");
    ByteView fields = info.content;
    const der::Element algorithm =
        der::read(fields, der::kSequence, "the subject public key's algorithm");
    const der::Element bits =
        der::read(fields, der::kBitString, "the subject public key's BIT STRING");
    if (!fields.empty())
        refuse("the subject public key is not DER: data after its BIT STRING");
    ByteView identifier = algorithm.content;
    const der::Element oid =
        der::read(identifier, der::kObjectIdentifier, "the subject public key's algorithm");
    std::optional<der::Element> parameters;
    if (!identifier.empty())
        parameters = der::read(identifier, "the subject public key's algorithm parameters");
    if (!identifier.empty())
        refuse("the subject public key is not DER: data after its algorithm parameters");

    if (der::is(oid, kIdEcPublicKey)) {
        if (!parameters)
            refuse("EC key with explicit parameters is not supported");
        return ec_key(*parameters, key_octets(bits));
    }
    if (der::is(oid, kRsaEncryption)) {
        if (!parameters || parameters->tag != der::kNull || !parameters->content.empty())
            refuse("the RSA key's algorithm parameters are not NULL (RFC 3279 §2.3.1)");
        return rsa_key(key_octets(bits));
    }
    const Asn1ObjectPtr object = object_of(oid);
    const int nid = OBJ_obj2nid(object.get());
    // key_type_of's wording ("ED25519 keys are not supported"), the key manager's name where
    // OpenSSL has one.
    const char* type = nid == NID_undef ? nullptr : OBJ_nid2sn(nid);
    refuse((type != nullptr ? std::string(type) : oid_name(object.get())) +
           " keys are not supported");
}

}  // namespace signet::ca
