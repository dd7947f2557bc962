#include "hsm/token.hpp"

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <optional>

#include "common/error.hpp"
#include "common/handle.hpp"
#include "hsm/pkcs11.hpp"
#include "hsm/session_pool.hpp"

namespace signet::hsm {

namespace {

// Plain (non-HSM) keys are always made by OpenSSL's default provider, never by the bridge.
constexpr const char* kDefaultProvider = "provider=default";

CK_BBOOL ck_bool(bool value) {
    return value ? CK_TRUE : CK_FALSE;
}

// Named curves as DER OBJECT IDENTIFIERs, the form CKA_EC_PARAMS takes.
// prime256v1 1.2.840.10045.3.1.7 and secp384r1 1.3.132.0.34 (RFC 5480 §2.1.1.1).
constexpr std::array<std::uint8_t, 10> kP256Oid{0x06, 0x08, 0x2a, 0x86, 0x48,
                                                0xce, 0x3d, 0x03, 0x01, 0x07};
constexpr std::array<std::uint8_t, 7> kP384Oid{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};

// DigestInfo prefixes for RSASSA-PKCS1-v1_5 (RFC 8017 §9.2, note 1).
constexpr std::array<std::uint8_t, 19> kSha256DigestInfo{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                                         0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                                         0x01, 0x05, 0x00, 0x04, 0x20};
constexpr std::array<std::uint8_t, 19> kSha384DigestInfo{0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                                         0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                                         0x02, 0x05, 0x00, 0x04, 0x30};
constexpr std::array<std::uint8_t, 19> kSha512DigestInfo{0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                                         0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                                         0x03, 0x05, 0x00, 0x04, 0x40};

ByteView digest_info_prefix(Digest digest) {
    switch (digest) {
        case Digest::sha256:
            return kSha256DigestInfo;
        case Digest::sha384:
            return kSha384DigestInfo;
        case Digest::sha512:
            return kSha512DigestInfo;
    }
    throw Error(Errc::internal, "unknown digest");
}

CK_MECHANISM_TYPE hash_mechanism(Digest digest) {
    switch (digest) {
        case Digest::sha256:
            return CKM_SHA256;
        case Digest::sha384:
            return CKM_SHA384;
        case Digest::sha512:
            return CKM_SHA512;
    }
    throw Error(Errc::internal, "unknown digest");
}

CK_RSA_PKCS_MGF_TYPE mgf1(Digest digest) {
    switch (digest) {
        case Digest::sha256:
            return CKG_MGF1_SHA256;
        case Digest::sha384:
            return CKG_MGF1_SHA384;
        case Digest::sha512:
            return CKG_MGF1_SHA512;
    }
    throw Error(Errc::internal, "unknown digest");
}

// --- Object search and attributes ----------------------------------------------------------

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

template <class T>
T get_scalar(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE object,
             CK_ATTRIBUTE_TYPE type) {
    T value{};
    CK_ATTRIBUTE attribute{type, &value, sizeof value};
    check_rv(api.C_GetAttributeValue(s, object, &attribute, 1), "C_GetAttributeValue");
    return value;
}

std::string as_string(const Bytes& b) {
    return {b.begin(), b.end()};
}

// Destroys a (session) object when the scope ends, whatever happens in between.
class ObjectGuard {
  public:
    ObjectGuard(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE object)
        : api_(api), s_(s), object_(object) {}
    ~ObjectGuard() {
        if (object_ != CK_INVALID_HANDLE)
            api_.C_DestroyObject(s_, object_);
    }
    ObjectGuard(const ObjectGuard&) = delete;
    ObjectGuard& operator=(const ObjectGuard&) = delete;
    void release() noexcept { object_ = CK_INVALID_HANDLE; }

  private:
    const CK_FUNCTION_LIST& api_;
    CK_SESSION_HANDLE s_;
    CK_OBJECT_HANDLE object_;
};

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

struct KeyPairHandles {
    CK_OBJECT_HANDLE public_key = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE private_key = CK_INVALID_HANDLE;
};

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

// --- Signing -------------------------------------------------------------------------------

void check_sign_request(KeyType type, Digest digest_alg, Padding padding, ByteView digest) {
    if (digest.size() != digest_size(digest_alg)) {
        throw Error(Errc::invalid_argument, "digest is " + std::to_string(digest.size()) +
                                                " bytes, " + std::string(to_string(digest_alg)) +
                                                " needs " +
                                                std::to_string(digest_size(digest_alg)));
    }
    if (is_ec(type) != (padding == Padding::ecdsa)) {
        throw Error(Errc::invalid_argument,
                    std::string(to_string(type)) + " keys cannot sign with this padding");
    }
}

Bytes ecdsa_raw_to_der(const Bytes& raw) {
    const auto half = static_cast<int>(raw.size() / 2);
    EcdsaSigPtr sig(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(raw.data(), half, nullptr);
    BIGNUM* s = BN_bin2bn(raw.data() + half, half, nullptr);
    if (!sig || r == nullptr || s == nullptr || !ECDSA_SIG_set0(sig.get(), r, s)) {
        BN_free(r);
        BN_free(s);
        throw_openssl_error("cannot encode the ECDSA signature");
    }
    const int size = i2d_ECDSA_SIG(sig.get(), nullptr);
    Bytes der(static_cast<std::size_t>(size));
    unsigned char* p = der.data();
    i2d_ECDSA_SIG(sig.get(), &p);
    return der;
}

// One C_SignInit/C_Sign with `key` on session `s`. The caller has checked the request.
Bytes sign_on_session(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key,
                      KeyType type, Digest digest_alg, Padding padding, ByteView digest) {
    CK_MECHANISM mechanism{CKM_ECDSA, nullptr, 0};
    CK_RSA_PKCS_PSS_PARAMS pss{hash_mechanism(digest_alg), mgf1(digest_alg),
                               static_cast<CK_ULONG>(digest_size(digest_alg))};
    Bytes input;
    switch (padding) {
        case Padding::ecdsa:
            input.assign(digest.begin(), digest.end());
            break;
        case Padding::pkcs1: {
            // CKM_RSA_PKCS pads what it is given; the DigestInfo is ours to build.
            mechanism.mechanism = CKM_RSA_PKCS;
            const ByteView prefix = digest_info_prefix(digest_alg);
            input.assign(prefix.begin(), prefix.end());
            input.insert(input.end(), digest.begin(), digest.end());
            break;
        }
        case Padding::pss:
            mechanism = {CKM_RSA_PKCS_PSS, &pss, sizeof pss};
            input.assign(digest.begin(), digest.end());
            break;
    }
    const std::size_t field = static_cast<std::size_t>((key_bits(type) + 7) / 8);
    Bytes signature(is_ec(type) ? 2 * field : field);
    CK_ULONG size = signature.size();
    check_rv(api.C_SignInit(s, &mechanism, key), "C_SignInit");
    check_rv(api.C_Sign(s, input.data(), input.size(), signature.data(), &size), "C_Sign");
    signature.resize(size);
    return is_ec(type) ? ecdsa_raw_to_der(signature) : signature;
}

bool is_stale_object(const Error& e) {
    return e.pkcs11() && (e.pkcs11()->rv == CKR_KEY_HANDLE_INVALID ||
                          e.pkcs11()->rv == CKR_OBJECT_HANDLE_INVALID ||
                          e.pkcs11()->rv == CKR_UNWRAPPING_KEY_HANDLE_INVALID);
}

// Runs `operation(lease)` on a pooled session and returns its result.
template <class F>
auto leased(SessionPool& pool, F&& operation) -> decltype(operation(Lease{})) {
    std::optional<decltype(operation(Lease{}))> result;
    pool.run([&](const Lease& lease) { result.emplace(operation(lease)); });
    return std::move(*result);
}

// A key object's handle, as found on a session of some pool generation. After a loss (a new
// generation) it is looked up again before it is used: a restarted HSM may have invalidated
// the number, or given it to another object, and a signer must never sign with another key.
class CachedHandle {
  public:
    using Finder = std::function<CK_OBJECT_HANDLE(CK_SESSION_HANDLE)>;

    CachedHandle(CK_OBJECT_HANDLE handle, std::uint64_t generation, Finder find)
        : handle_(handle), generation_(generation), find_(std::move(find)) {}

    CK_OBJECT_HANDLE get(const Lease& lease) const {
        {
            std::lock_guard lock(mutex_);
            if (valid_ && generation_ == lease.generation)
                return handle_;
        }
        const CK_OBJECT_HANDLE found = find_(lease.session.handle);
        std::lock_guard lock(mutex_);
        handle_ = found;
        generation_ = lease.generation;
        valid_ = true;
        return found;
    }

    // The module said the handle is invalid: look it up again however recent it is.
    void forget() const {
        std::lock_guard lock(mutex_);
        valid_ = false;
    }

  private:
    mutable std::mutex mutex_;
    mutable CK_OBJECT_HANDLE handle_;
    mutable std::uint64_t generation_;
    mutable bool valid_ = true;
    Finder find_;
};

// Runs `sign(lease, key)` with the cached key handle; a handle the module calls invalid is
// looked up again and the signature tried once more.
Bytes sign_with(SessionPool& pool, const CachedHandle& key,
                const std::function<Bytes(const Lease&, CK_OBJECT_HANDLE)>& sign) {
    for (int attempt = 0;; ++attempt) {
        try {
            return leased(pool, [&](const Lease& lease) { return sign(lease, key.get(lease)); });
        } catch (const Error& e) {
            if (attempt > 0 || !is_stale_object(e))
                throw;
            key.forget();
        }
    }
}

// A key pair held as token objects, its private key found again by CKA_ID when its handle may
// have gone stale (CachedHandle).
class TokenKeySigner final : public Signer {
  public:
    TokenKeySigner(std::shared_ptr<Token> token, SessionPool& pool, KeyType type, Bytes id,
                   CK_OBJECT_HANDLE key, std::uint64_t generation, EvpPkeyPtr public_key)
        : token_(std::move(token)),
          pool_(pool),
          type_(type),
          id_(std::move(id)),
          key_(key, generation,
               [api = &token_->module().api(), id = id_](CK_SESSION_HANDLE s) {
                   const auto found = find_by_id(*api, s, CKO_PRIVATE_KEY, id);
                   if (found.empty())
                       throw Error(Errc::not_found, "the signing key is gone from the token");
                   return found.front();
               }),
          public_key_(std::move(public_key)) {}

    KeyType key_type() const noexcept override { return type_; }
    EVP_PKEY* public_key() const noexcept override { return public_key_.get(); }

    Bytes sign_digest(Digest digest_alg, Padding padding, ByteView digest) const override {
        check_sign_request(type_, digest_alg, padding, digest);
        const auto& api = token_->module().api();
        return sign_with(pool_, key_, [&](const Lease& lease, CK_OBJECT_HANDLE key) {
            return sign_on_session(api, lease.session.handle, key, type_, digest_alg, padding,
                                   digest);
        });
    }

  private:
    std::shared_ptr<Token> token_;  // keeps the pool alive
    SessionPool& pool_;
    KeyType type_;
    Bytes id_;
    CachedHandle key_;
    EvpPkeyPtr public_key_;
};

// A user key: unwrapped into a session object for one signature, then destroyed, so the HSM
// holds nothing per user (DESIGN.md invariant 1).
class WrappedKeySigner final : public Signer {
  public:
    WrappedKeySigner(std::shared_ptr<Token> token, SessionPool& pool, WrappedKey key,
                     const std::string& kek_label, CK_OBJECT_HANDLE kek, std::uint64_t generation)
        : token_(std::move(token)),
          pool_(pool),
          key_(std::move(key)),
          kek_(kek, generation,
               [api = &token_->module().api(), kek_label](CK_SESSION_HANDLE s) {
                   return find_kek(*api, s, kek_label);
               }),
          public_key_(parse_spki(key_.public_key_der)) {}

    KeyType key_type() const noexcept override { return key_.type; }
    EVP_PKEY* public_key() const noexcept override { return public_key_.get(); }

    Bytes sign_digest(Digest digest_alg, Padding padding, ByteView digest) const override {
        check_sign_request(key_.type, digest_alg, padding, digest);
        return sign_with(pool_, kek_, [&](const Lease& lease, CK_OBJECT_HANDLE kek) {
            return unwrap_and_sign(lease.session.handle, kek, digest_alg, padding, digest);
        });
    }

  private:
    Bytes unwrap_and_sign(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE kek, Digest digest_alg,
                          Padding padding, ByteView digest) const {
        const auto& api = token_->module().api();
        CK_OBJECT_CLASS private_class = CKO_PRIVATE_KEY;
        CK_KEY_TYPE key_type = is_ec(key_.type) ? CKK_EC : CKK_RSA;
        CK_BBOOL yes = CK_TRUE;
        CK_BBOOL no = CK_FALSE;
        // The unwrapped copy is a session object that can sign and can never be extracted.
        std::array<CK_ATTRIBUTE, 7> unwrapped_template{{
            {CKA_CLASS, &private_class, sizeof private_class},
            {CKA_KEY_TYPE, &key_type, sizeof key_type},
            {CKA_TOKEN, &no, sizeof no},
            {CKA_PRIVATE, &yes, sizeof yes},
            {CKA_SENSITIVE, &yes, sizeof yes},
            {CKA_EXTRACTABLE, &no, sizeof no},
            {CKA_SIGN, &yes, sizeof yes},
        }};
        CK_MECHANISM mechanism{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
        CK_OBJECT_HANDLE unwrapped = CK_INVALID_HANDLE;
        check_rv(api.C_UnwrapKey(s, &mechanism, kek,
                                 const_cast<std::uint8_t*>(key_.wrapped_private_key.data()),
                                 key_.wrapped_private_key.size(), unwrapped_template.data(),
                                 unwrapped_template.size(), &unwrapped),
                 "C_UnwrapKey");
        ObjectGuard destroy(api, s, unwrapped);
        return sign_on_session(api, s, unwrapped, key_.type, digest_alg, padding, digest);
    }

    std::shared_ptr<Token> token_;  // keeps the pool alive
    SessionPool& pool_;
    WrappedKey key_;
    CachedHandle kek_;
    EvpPkeyPtr public_key_;
};

}  // namespace

// --- The token -----------------------------------------------------------------------------

struct Token::Impl {
    CK_SLOT_ID slot = 0;
    std::string label;
    std::unique_ptr<SessionPool> pool;
};

std::shared_ptr<Token> Token::open(const TokenConfig& config) {
    if (config.pool_size == 0)
        throw Error(Errc::invalid_argument, "HSM pool size must be at least 1");
    std::shared_ptr<Token> token(new Token());
    token->module_ = Module::load(config.module_path);
    token->impl_ = std::make_unique<Impl>();
    auto& impl = *token->impl_;
    impl.slot = token->module_->find_token(config.token_label);
    impl.label = config.token_label;
    impl.pool = std::make_unique<SessionPool>(
        *token->module_, impl.slot, config.token_label, read_secret(config.pin),
        config.pin.describe(),
        PoolOptions{config.pool_size, config.session_wait, config.retry_interval});
    // Log in now, so a wrong PIN or a missing token shows at start, not at the first signature.
    impl.pool->run([](const Lease&) {});
    return token;
}

Token::~Token() = default;

void Token::with_session(const std::function<void(CK_SESSION_HANDLE)>& operation) {
    impl_->pool->run([&](const Lease& lease) { operation(lease.session.handle); });
}

std::uint64_t Token::sessions_replaced() const noexcept {
    return impl_->pool->sessions_replaced();
}

HsmState Token::state() const {
    return impl_->pool->state();
}

TokenInfo Token::info() const {
    for (auto& token : module_->tokens()) {
        if (token.slot == impl_->slot)
            return token;
    }
    throw Error(Errc::unavailable, "token '" + impl_->label + "' is no longer present");
}

std::shared_ptr<const Signer> Token::generate_key(KeyType type, const std::string& label) {
    if (label.empty())
        throw Error(Errc::invalid_argument, "a key needs a label");
    const auto& api = module_->api();
    return leased(*impl_->pool, [&](const Lease& lease) -> std::shared_ptr<const Signer> {
        const CK_SESSION_HANDLE s = lease.session.handle;
        if (!find_by_label(api, s, CKO_PRIVATE_KEY, label).empty() ||
            !find_by_label(api, s, CKO_PUBLIC_KEY, label).empty()) {
            throw Error(Errc::already_exists,
                        "the token already holds a key labelled '" + label + "'");
        }
        const KeyPairHandles pair = generate_pair(api, s, type, label, /*on_token=*/true);
        ObjectGuard destroy_public(api, s, pair.public_key);
        ObjectGuard destroy_private(api, s, pair.private_key);
        EvpPkeyPtr public_key = read_public_key(api, s, pair.public_key, type);
        Bytes id = key_identifier(public_key.get());
        CK_ATTRIBUTE id_attribute{CKA_ID, id.data(), id.size()};
        check_rv(api.C_SetAttributeValue(s, pair.public_key, &id_attribute, 1),
                 "C_SetAttributeValue");
        check_rv(api.C_SetAttributeValue(s, pair.private_key, &id_attribute, 1),
                 "C_SetAttributeValue");
        destroy_public.release();
        destroy_private.release();
        return std::make_shared<TokenKeySigner>(shared_from_this(), *impl_->pool, type,
                                                std::move(id), pair.private_key, lease.generation,
                                                std::move(public_key));
    });
}

namespace {
std::shared_ptr<const Signer> signer_for(std::shared_ptr<Token> token, SessionPool& pool,
                                         const Lease& lease, CK_OBJECT_HANDLE private_key) {
    const auto& api = token->module().api();
    const CK_SESSION_HANDLE s = lease.session.handle;
    const KeyType type = read_key_type(api, s, private_key);
    Bytes id = get_attribute(api, s, private_key, CKA_ID);
    const auto publics = find_by_id(api, s, CKO_PUBLIC_KEY, id);
    if (publics.empty()) {
        throw Error(Errc::not_found, "the token has no public key with the private key's CKA_ID");
    }
    EvpPkeyPtr public_key = read_public_key(api, s, publics.front(), type);
    return std::make_shared<TokenKeySigner>(std::move(token), pool, type, std::move(id),
                                            private_key, lease.generation, std::move(public_key));
}
}  // namespace

std::shared_ptr<const Signer> Token::find_key(const std::string& label) {
    return leased(*impl_->pool, [&](const Lease& lease) {
        const auto found =
            find_by_label(module_->api(), lease.session.handle, CKO_PRIVATE_KEY, label);
        if (found.empty())
            throw Error(Errc::not_found, "no private key labelled '" + label + "'");
        if (found.size() > 1) {
            throw Error(Errc::failed_precondition,
                        "several private keys are labelled '" + label + "'");
        }
        return signer_for(shared_from_this(), *impl_->pool, lease, found.front());
    });
}

std::shared_ptr<const Signer> Token::find_key_by_id(ByteView id) {
    return leased(*impl_->pool, [&](const Lease& lease) {
        const auto found = find_by_id(module_->api(), lease.session.handle, CKO_PRIVATE_KEY, id);
        if (found.empty())
            throw Error(Errc::not_found, "no private key with ID " + to_hex(id));
        return signer_for(shared_from_this(), *impl_->pool, lease, found.front());
    });
}

std::vector<KeyInfo> Token::list_keys() {
    const auto& api = module_->api();
    return run([&](CK_SESSION_HANDLE s) {
        std::vector<KeyInfo> keys;
        CK_BBOOL yes = CK_TRUE;
        for (CK_OBJECT_CLASS object_class : {CKO_PRIVATE_KEY, CKO_SECRET_KEY}) {
            for (CK_OBJECT_HANDLE object :
                 find_objects(api, s,
                              {{CKA_CLASS, &object_class, sizeof object_class},
                               {CKA_TOKEN, &yes, sizeof yes}})) {
                KeyInfo info;
                info.label = as_string(get_attribute(api, s, object, CKA_LABEL));
                info.id = get_attribute(api, s, object, CKA_ID);
                info.sensitive = get_scalar<CK_BBOOL>(api, s, object, CKA_SENSITIVE) == CK_TRUE;
                info.extractable = get_scalar<CK_BBOOL>(api, s, object, CKA_EXTRACTABLE) == CK_TRUE;
                if (object_class == CKO_PRIVATE_KEY) {
                    info.object_class = "private-key";
                    try {
                        info.algorithm = std::string(to_string(read_key_type(api, s, object)));
                    } catch (const Error& e) {
                        if (e.code() != Errc::failed_precondition)
                            throw;
                        info.algorithm = "other";
                    }
                } else {
                    info.object_class = "secret-key";
                    const auto key_type = get_scalar<CK_KEY_TYPE>(api, s, object, CKA_KEY_TYPE);
                    const auto length = get_scalar<CK_ULONG>(api, s, object, CKA_VALUE_LEN);
                    info.algorithm =
                        (key_type == CKK_AES ? "aes-" : "secret-") + std::to_string(length * 8);
                }
                keys.push_back(std::move(info));
            }
        }
        std::ranges::sort(keys, {}, &KeyInfo::label);
        return keys;
    });
}

void Token::generate_kek(const std::string& label) {
    if (label.empty())
        throw Error(Errc::invalid_argument, "a key-encryption key needs a label");
    const auto& api = module_->api();
    run([&](CK_SESSION_HANDLE s) {
        if (!find_by_label(api, s, CKO_SECRET_KEY, label).empty()) {
            throw Error(Errc::already_exists,
                        "the token already holds a secret key labelled '" + label + "'");
        }
        CK_OBJECT_CLASS secret_class = CKO_SECRET_KEY;
        CK_KEY_TYPE aes = CKK_AES;
        CK_ULONG length = 32;  // AES-256
        CK_BBOOL yes = CK_TRUE;
        CK_BBOOL no = CK_FALSE;
        Bytes id(16);
        check_rv(api.C_GenerateRandom(s, id.data(), id.size()), "C_GenerateRandom");
        // It wraps and unwraps and does nothing else; it never leaves the token.
        std::array<CK_ATTRIBUTE, 14> key_template{{
            {CKA_CLASS, &secret_class, sizeof secret_class},
            {CKA_KEY_TYPE, &aes, sizeof aes},
            {CKA_VALUE_LEN, &length, sizeof length},
            {CKA_TOKEN, &yes, sizeof yes},
            {CKA_PRIVATE, &yes, sizeof yes},
            {CKA_SENSITIVE, &yes, sizeof yes},
            {CKA_EXTRACTABLE, &no, sizeof no},
            {CKA_WRAP, &yes, sizeof yes},
            {CKA_UNWRAP, &yes, sizeof yes},
            {CKA_ENCRYPT, &no, sizeof no},
            {CKA_DECRYPT, &no, sizeof no},
            {CKA_SIGN, &no, sizeof no},
            {CKA_LABEL, const_cast<char*>(label.data()), label.size()},
            {CKA_ID, id.data(), id.size()},
        }};
        CK_MECHANISM mechanism{CKM_AES_KEY_GEN, nullptr, 0};
        CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
        check_rv(api.C_GenerateKey(s, &mechanism, key_template.data(), key_template.size(), &key),
                 "C_GenerateKey");
    });
}

bool Token::has_kek(const std::string& label) {
    return run([&](CK_SESSION_HANDLE s) {
        return !find_by_label(module_->api(), s, CKO_SECRET_KEY, label).empty();
    });
}

WrappedKey Token::generate_wrapped_key(KeyType type, const std::string& kek_label) {
    const auto& api = module_->api();
    return run([&](CK_SESSION_HANDLE s) {
        const CK_OBJECT_HANDLE kek = find_kek(api, s, kek_label);
        const KeyPairHandles pair = generate_pair(api, s, type, "user-key", /*on_token=*/false);
        ObjectGuard destroy_public(api, s, pair.public_key);
        ObjectGuard destroy_private(api, s, pair.private_key);
        WrappedKey wrapped{
            type, {}, spki_der(read_public_key(api, s, pair.public_key, type).get())};
        // RFC 5649 key wrap with padding; the private key is encoded as PKCS#8 inside the HSM.
        CK_MECHANISM mechanism{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
        CK_ULONG size = 0;
        check_rv(api.C_WrapKey(s, &mechanism, kek, pair.private_key, nullptr, &size), "C_WrapKey");
        wrapped.wrapped_private_key.resize(size);
        check_rv(api.C_WrapKey(s, &mechanism, kek, pair.private_key,
                               wrapped.wrapped_private_key.data(), &size),
                 "C_WrapKey");
        wrapped.wrapped_private_key.resize(size);
        return wrapped;
    });
}

std::shared_ptr<const Signer> Token::wrapped_signer(WrappedKey key, const std::string& kek_label) {
    if (key.wrapped_private_key.empty())
        throw Error(Errc::invalid_argument, "the wrapped key is empty");
    const auto [kek, generation] = leased(*impl_->pool, [&](const Lease& lease) {
        return std::pair{find_kek(module_->api(), lease.session.handle, kek_label),
                         lease.generation};
    });
    auto signer = std::make_shared<WrappedKeySigner>(shared_from_this(), *impl_->pool,
                                                     std::move(key), kek_label, kek, generation);
    if (EVP_PKEY_get_bits(signer->public_key()) != key_bits(signer->key_type())) {
        throw Error(Errc::invalid_argument, "the wrapped key's public key does not match its type");
    }
    return signer;
}

Bytes Token::random(std::size_t size) {
    Bytes out(size);
    if (size == 0)
        return out;
    run([&](CK_SESSION_HANDLE s) {
        check_rv(module_->api().C_GenerateRandom(s, out.data(), out.size()), "C_GenerateRandom");
    });
    return out;
}

}  // namespace signet::hsm
