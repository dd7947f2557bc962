// Key objects on a PKCS#11 session (hsm/key_objects.hpp): object search and attributes, a key
// pair's type and public half, the RFC 5280 key identifier, and key-pair generation with the
// attributes that keep a private key in the HSM.
#include "hsm/key_objects.hpp"

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>

#include "common/error.hpp"

namespace signet::hsm {

namespace {

CK_BBOOL ck_bool(bool value) {
    return value ? CK_TRUE : CK_FALSE;
}

// Named curves as DER OBJECT IDENTIFIERs, the form CKA_EC_PARAMS takes.
// prime256v1 1.2.840.10045.3.1.7 and secp384r1 1.3.132.0.34 (RFC 5480 §2.1.1.1).
constexpr std::array<std::uint8_t, 10> kP256Oid{0x06, 0x08, 0x2a, 0x86, 0x48,
                                                0xce, 0x3d, 0x03, 0x01, 0x07};
constexpr std::array<std::uint8_t, 7> kP384Oid{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};

class FindGuard {
  public:
    FindGuard(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE session) : api_(api), s_(session) {}
    ~FindGuard() { api_.C_FindObjectsFinal(s_); }
    FindGuard(const FindGuard&) = delete;
    FindGuard& operator=(const FindGuard&) = delete;

  private:
    const CK_FUNCTION_LIST& api_;
    CK_SESSION_HANDLE s_;
};

EvpPkeyPtr make_ec_public_key(KeyType type, Bytes ec_point) {
    // CKA_EC_POINT is the DER OCTET STRING holding the point (PKCS#11 v2.40 §2.3.3); some
    // modules return the bare point, which starts with 0x04 and has the uncompressed size.
    const std::size_t field = static_cast<std::size_t>(key_bits(type) / 8);
    Bytes point = ec_point;
    if (!(ec_point.size() == 1 + 2 * field && ec_point[0] == 0x04)) {
        const unsigned char* p = ec_point.data();
        Asn1OctetStringPtr octets(
            d2i_ASN1_OCTET_STRING(nullptr, &p, static_cast<long>(ec_point.size())));
        if (!octets)
            throw_openssl_error("CKA_EC_POINT is not a DER OCTET STRING");
        point.assign(ASN1_STRING_get0_data(octets.get()),
                     ASN1_STRING_get0_data(octets.get()) + ASN1_STRING_length(octets.get()));
    }
    const char* group = type == KeyType::ec_p256 ? "P-256" : "P-384";
    std::array<OSSL_PARAM, 3> params{
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
        OSSL_PARAM_construct_end()};
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", kDefaultProvider));
    EVP_PKEY* key = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.data()) <= 0) {
        throw_openssl_error("cannot build the EC public key");
    }
    return EvpPkeyPtr(key);
}

EvpPkeyPtr make_rsa_public_key(const Bytes& modulus, const Bytes& exponent) {
    BignumPtr n(BN_bin2bn(modulus.data(), static_cast<int>(modulus.size()), nullptr));
    BignumPtr e(BN_bin2bn(exponent.data(), static_cast<int>(exponent.size()), nullptr));
    OsslParamBldPtr builder(OSSL_PARAM_BLD_new());
    if (!n || !e || !builder ||
        !OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) ||
        !OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get())) {
        throw_openssl_error("cannot build the RSA public key");
    }
    OsslParamPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", kDefaultProvider));
    EVP_PKEY* key = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
        throw_openssl_error("cannot build the RSA public key");
    }
    return EvpPkeyPtr(key);
}

}  // namespace

// --- Object search and attributes ----------------------------------------------------------

std::vector<CK_OBJECT_HANDLE> find_objects(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE s,
                                           std::vector<CK_ATTRIBUTE> query) {
    check_rv(api.C_FindObjectsInit(s, query.data(), query.size()), "C_FindObjectsInit");
    FindGuard guard(api, s);
    std::vector<CK_OBJECT_HANDLE> found;
    std::array<CK_OBJECT_HANDLE, 64> batch;
    for (;;) {
        CK_ULONG count = 0;
        check_rv(api.C_FindObjects(s, batch.data(), batch.size(), &count), "C_FindObjects");
        found.insert(found.end(), batch.begin(), batch.begin() + static_cast<long>(count));
        if (count < batch.size())
            break;
    }
    return found;
}

Bytes get_attribute(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE object,
                    CK_ATTRIBUTE_TYPE type) {
    CK_ATTRIBUTE attribute{type, nullptr, 0};
    check_rv(api.C_GetAttributeValue(s, object, &attribute, 1), "C_GetAttributeValue");
    Bytes value(attribute.ulValueLen);
    attribute.pValue = value.data();
    check_rv(api.C_GetAttributeValue(s, object, &attribute, 1), "C_GetAttributeValue");
    value.resize(attribute.ulValueLen);
    return value;
}

std::vector<CK_OBJECT_HANDLE> find_by_label(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE s,
                                            CK_OBJECT_CLASS object_class,
                                            const std::string& label) {
    CK_BBOOL yes = CK_TRUE;
    return find_objects(api, s,
                        {{CKA_CLASS, &object_class, sizeof object_class},
                         {CKA_TOKEN, &yes, sizeof yes},
                         {CKA_LABEL, const_cast<char*>(label.data()), label.size()}});
}

std::vector<CK_OBJECT_HANDLE> find_by_id(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE s,
                                         CK_OBJECT_CLASS object_class, ByteView id) {
    CK_BBOOL yes = CK_TRUE;
    return find_objects(api, s,
                        {{CKA_CLASS, &object_class, sizeof object_class},
                         {CKA_TOKEN, &yes, sizeof yes},
                         {CKA_ID, const_cast<std::uint8_t*>(id.data()), id.size()}});
}

CK_OBJECT_HANDLE find_kek(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE s,
                          const std::string& label) {
    const auto found = find_by_label(api, s, CKO_SECRET_KEY, label);
    if (found.empty())
        throw Error(Errc::not_found, "no key-encryption key labelled '" + label + "'");
    if (found.size() > 1) {
        throw Error(Errc::failed_precondition, "several secret keys are labelled '" + label + "'");
    }
    return found.front();
}

// --- Public keys ---------------------------------------------------------------------------

// What kind of key pair an object holds, from its attributes.
KeyType read_key_type(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE object) {
    const auto key_type = get_scalar<CK_KEY_TYPE>(api, s, object, CKA_KEY_TYPE);
    if (key_type == CKK_EC) {
        const Bytes params = get_attribute(api, s, object, CKA_EC_PARAMS);
        if (std::ranges::equal(params, kP256Oid))
            return KeyType::ec_p256;
        if (std::ranges::equal(params, kP384Oid))
            return KeyType::ec_p384;
        throw Error(Errc::failed_precondition, "EC key on a curve Signet does not use");
    }
    if (key_type == CKK_RSA) {
        Bytes modulus = get_attribute(api, s, object, CKA_MODULUS);
        auto first = std::ranges::find_if(modulus, [](std::uint8_t b) { return b != 0; });
        const auto bits = static_cast<int>(modulus.end() - first) * 8;
        switch (bits) {
            case 2048:
                return KeyType::rsa_2048;
            case 3072:
                return KeyType::rsa_3072;
            case 4096:
                return KeyType::rsa_4096;
            default:
                throw Error(Errc::failed_precondition,
                            "RSA key of " + std::to_string(bits) + " bits is not supported");
        }
    }
    throw Error(Errc::failed_precondition,
                "key type " + std::to_string(key_type) + " is neither EC nor RSA");
}

EvpPkeyPtr read_public_key(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE s,
                           CK_OBJECT_HANDLE public_object, KeyType type) {
    if (is_ec(type))
        return make_ec_public_key(type, get_attribute(api, s, public_object, CKA_EC_POINT));
    return make_rsa_public_key(get_attribute(api, s, public_object, CKA_MODULUS),
                               get_attribute(api, s, public_object, CKA_PUBLIC_EXPONENT));
}

Bytes spki_der(EVP_PKEY* key) {
    int size = i2d_PUBKEY(key, nullptr);
    if (size <= 0)
        throw_openssl_error("cannot encode the public key");
    Bytes der(static_cast<std::size_t>(size));
    unsigned char* p = der.data();
    i2d_PUBKEY(key, &p);
    return der;
}

EvpPkeyPtr parse_spki(ByteView der) {
    const unsigned char* p = der.data();
    EvpPkeyPtr key(
        d2i_PUBKEY_ex(nullptr, &p, static_cast<long>(der.size()), nullptr, kDefaultProvider));
    if (!key)
        throw_openssl_error("the wrapped key's public key is not a SubjectPublicKeyInfo");
    return key;
}

// RFC 5280 §4.2.1.2 method 1: the SHA-1 of the subjectPublicKey BIT STRING's value.
Bytes key_identifier(EVP_PKEY* key) {
    const Bytes der = spki_der(key);
    const unsigned char* p = der.data();
    X509PubkeyPtr spki(d2i_X509_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
    const unsigned char* bits = nullptr;
    int bits_len = 0;
    if (!spki || !X509_PUBKEY_get0_param(nullptr, &bits, &bits_len, nullptr, spki.get())) {
        throw_openssl_error("cannot read the public key's bits");
    }
    Bytes id(SHA_DIGEST_LENGTH);
    SHA1(bits, static_cast<std::size_t>(bits_len), id.data());
    return id;
}

// --- Key generation ------------------------------------------------------------------------

// Generates a key pair. `on_token` makes token objects (CA/TSA/OCSP keys: never extractable);
// otherwise session objects whose private half may leave only wrapped (user keys).
KeyPairHandles generate_pair(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE s, KeyType type,
                             const std::string& label, bool on_token) {
    CK_BBOOL yes = CK_TRUE;
    CK_BBOOL no = CK_FALSE;
    CK_BBOOL token = ck_bool(on_token);
    CK_BBOOL extractable = ck_bool(!on_token);
    CK_OBJECT_CLASS public_class = CKO_PUBLIC_KEY;
    CK_OBJECT_CLASS private_class = CKO_PRIVATE_KEY;
    CK_KEY_TYPE key_type = is_ec(type) ? CKK_EC : CKK_RSA;
    CK_ULONG modulus_bits = static_cast<CK_ULONG>(key_bits(type));
    std::array<std::uint8_t, 3> public_exponent{0x01, 0x00, 0x01};  // 65537
    Bytes ec_params = type == KeyType::ec_p256 ? Bytes(kP256Oid.begin(), kP256Oid.end())
                                               : Bytes(kP384Oid.begin(), kP384Oid.end());
    auto* label_ptr = const_cast<char*>(label.data());

    std::vector<CK_ATTRIBUTE> public_template{
        {CKA_CLASS, &public_class, sizeof public_class},
        {CKA_KEY_TYPE, &key_type, sizeof key_type},
        {CKA_TOKEN, &token, sizeof token},
        {CKA_PRIVATE, &no, sizeof no},
        {CKA_VERIFY, &yes, sizeof yes},
        {CKA_LABEL, label_ptr, label.size()},
    };
    std::vector<CK_ATTRIBUTE> private_template{
        {CKA_CLASS, &private_class, sizeof private_class},
        {CKA_KEY_TYPE, &key_type, sizeof key_type},
        {CKA_TOKEN, &token, sizeof token},
        {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes},
        {CKA_EXTRACTABLE, &extractable, sizeof extractable},
        {CKA_SIGN, &yes, sizeof yes},
        {CKA_DECRYPT, &no, sizeof no},
        {CKA_DERIVE, &no, sizeof no},
        {CKA_LABEL, label_ptr, label.size()},
    };
    CK_MECHANISM mechanism{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
    if (is_ec(type)) {
        public_template.push_back({CKA_EC_PARAMS, ec_params.data(), ec_params.size()});
    } else {
        mechanism.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
        public_template.push_back({CKA_MODULUS_BITS, &modulus_bits, sizeof modulus_bits});
        public_template.push_back(
            {CKA_PUBLIC_EXPONENT, public_exponent.data(), public_exponent.size()});
    }
    KeyPairHandles pair;
    check_rv(api.C_GenerateKeyPair(s, &mechanism, public_template.data(), public_template.size(),
                                   private_template.data(), private_template.size(),
                                   &pair.public_key, &pair.private_key),
             "C_GenerateKeyPair");
    return pair;
}

}  // namespace signet::hsm
