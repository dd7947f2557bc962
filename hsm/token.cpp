// hsm::Token's own operations (hsm/token.hpp): opening the token and its session pool, its
// information and state, token keys (generate, find, list), the key-encryption key, wrapped user
// keys, random bytes. The PKCS#11 objects are handled in key_objects.*, the signers in
// key_signers.*, the sessions in session_pool.*.
#include "hsm/token.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <vector>

#include "common/error.hpp"
#include "hsm/key_objects.hpp"
#include "hsm/key_signers.hpp"
#include "hsm/pkcs11.hpp"
#include "hsm/session_pool.hpp"

namespace signet::hsm {

namespace {

std::string as_string(const Bytes& b) {
    return {b.begin(), b.end()};
}

}  // namespace

// --- The token -----------------------------------------------------------------------------

struct Token::Impl {
    CK_SLOT_ID slot = 0;
    std::string label;
    std::unique_ptr<SessionPool> pool;
    std::chrono::milliseconds retry_interval{};
    std::mutex own_pools_mutex;
    std::vector<std::unique_ptr<SessionPool>> own_pools;  // find_key_on_own_pool's
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
    impl.retry_interval = config.retry_interval;
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
        return make_token_key_signer(shared_from_this(), *impl_->pool, type, std::move(id),
                                     pair.private_key, lease.generation, std::move(public_key));
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
    return make_token_key_signer(std::move(token), pool, type, std::move(id), private_key,
                                 lease.generation, std::move(public_key));
}
}  // namespace

namespace {
// The one private key labelled `label`, as a signer on `pool`.
std::shared_ptr<const Signer> key_by_label(std::shared_ptr<Token> token, SessionPool& pool,
                                           const std::string& label) {
    return leased(pool, [&](const Lease& lease) {
        const auto found =
            find_by_label(token->module().api(), lease.session.handle, CKO_PRIVATE_KEY, label);
        if (found.empty())
            throw Error(Errc::not_found, "no private key labelled '" + label + "'");
        if (found.size() > 1) {
            throw Error(Errc::failed_precondition,
                        "several private keys are labelled '" + label + "'");
        }
        return signer_for(token, pool, lease, found.front());
    });
}
}  // namespace

std::shared_ptr<const Signer> Token::find_key_on_own_pool(const std::string& label,
                                                          std::size_t sessions,
                                                          std::chrono::milliseconds wait) {
    if (sessions == 0)
        throw Error(Errc::invalid_argument, "HSM pool size must be at least 1");
    SessionPool* pool = nullptr;
    {
        std::lock_guard lock(impl_->own_pools_mutex);
        impl_->own_pools.push_back(
            impl_->pool->sibling(PoolOptions{sessions, wait, impl_->retry_interval}));
        pool = impl_->own_pools.back().get();
    }
    return key_by_label(shared_from_this(), *pool, label);
}

std::shared_ptr<const Signer> Token::find_key(const std::string& label) {
    return key_by_label(shared_from_this(), *impl_->pool, label);
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
    auto signer = make_wrapped_key_signer(shared_from_this(), *impl_->pool, std::move(key),
                                          kek_label, kek, generation);
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
