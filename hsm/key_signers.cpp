// Signing with the HSM's key objects (hsm/key_signers.hpp): the mechanism and input for each
// padding, the ECDSA signature in DER, a key handle cached per pool generation and looked up
// again when stale, and the two signers, a token key's and a wrapped user key's.
#include "hsm/key_signers.hpp"

#include <array>
#include <functional>
#include <mutex>
#include <span>
#include <vector>

#include "common/error.hpp"
#include "hsm/key_objects.hpp"

namespace signet::hsm {

namespace {

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
            return unwrap_and_sign(lease.session.handle, kek, digest_alg, padding,
                                   std::span<const ByteView>(&digest, 1))
                .front();
        });
    }

    // One unwrap for all the digests, on one session, the unwrapped object destroyed after the
    // last signature (or the first failure). Every digest is checked before the key is unwrapped.
    std::vector<Bytes> sign_digests(Digest digest_alg, Padding padding,
                                    std::span<const ByteView> digests) const override {
        for (const ByteView digest : digests)
            check_sign_request(key_.type, digest_alg, padding, digest);
        if (digests.empty())
            return {};
        std::vector<Bytes> signatures;
        (void)sign_with(pool_, kek_, [&](const Lease& lease, CK_OBJECT_HANDLE kek) {
            signatures = unwrap_and_sign(lease.session.handle, kek, digest_alg, padding, digests);
            return Bytes{};
        });
        return signatures;
    }

  private:
    std::vector<Bytes> unwrap_and_sign(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE kek,
                                       Digest digest_alg, Padding padding,
                                       std::span<const ByteView> digests) const {
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
        std::vector<Bytes> signatures;
        signatures.reserve(digests.size());
        for (const ByteView digest : digests)
            signatures.push_back(
                sign_on_session(api, s, unwrapped, key_.type, digest_alg, padding, digest));
        return signatures;
    }

    std::shared_ptr<Token> token_;  // keeps the pool alive
    SessionPool& pool_;
    WrappedKey key_;
    CachedHandle kek_;
    EvpPkeyPtr public_key_;
};

}  // namespace

std::shared_ptr<const Signer> make_token_key_signer(std::shared_ptr<Token> token, SessionPool& pool,
                                                    KeyType type, Bytes id, CK_OBJECT_HANDLE key,
                                                    std::uint64_t generation,
                                                    EvpPkeyPtr public_key) {
    return std::make_shared<TokenKeySigner>(std::move(token), pool, type, std::move(id), key,
                                            generation, std::move(public_key));
}

std::shared_ptr<const Signer> make_wrapped_key_signer(std::shared_ptr<Token> token,
                                                      SessionPool& pool, WrappedKey key,
                                                      const std::string& kek_label,
                                                      CK_OBJECT_HANDLE kek,
                                                      std::uint64_t generation) {
    return std::make_shared<WrappedKeySigner>(std::move(token), pool, std::move(key), kek_label,
                                              kek, generation);
}

}  // namespace signet::hsm
