// hsm::Token's secret-key operations (hsm/token.hpp): the HMAC key that hashes identity numbers
// inside the token, and small secrets (TOTP seeds) wrapped under the key-encryption key.
#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <vector>

#include "common/error.hpp"
#include "hsm/key_objects.hpp"
#include "hsm/pkcs11.hpp"
#include "hsm/token.hpp"

namespace signet::hsm {

namespace {

constexpr CK_ULONG kHmacKeyBytes = 32;  // 256 bits: RFC 2104 §3, at least the hash's output
constexpr std::size_t kMinSecret = 16;  // RFC 4226 §4 R6: a shared secret of at least 128 bits
constexpr std::size_t kMaxSecret = 64;

// The one HMAC key (a generic secret token object) labelled `label`.
CK_OBJECT_HANDLE find_hmac_key(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE s,
                               const std::string& label, bool required) {
    CK_OBJECT_CLASS secret_class = CKO_SECRET_KEY;
    CK_KEY_TYPE generic = CKK_GENERIC_SECRET;
    CK_BBOOL yes = CK_TRUE;
    const auto found = find_objects(api, s,
                                    {{CKA_CLASS, &secret_class, sizeof secret_class},
                                     {CKA_KEY_TYPE, &generic, sizeof generic},
                                     {CKA_TOKEN, &yes, sizeof yes},
                                     {CKA_LABEL, const_cast<char*>(label.data()), label.size()}});
    if (found.size() > 1)
        throw Error(Errc::failed_precondition, "several HMAC keys are labelled '" + label + "'");
    if (found.empty()) {
        if (required)
            throw Error(Errc::not_found, "no HMAC key labelled '" + label + "'");
        return CK_INVALID_HANDLE;
    }
    return found.front();
}

// What C_UnwrapKey answers when the RFC 5649 integrity check fails (a tampered blob, or one
// wrapped under another key): the PKCS#11 codes for a bad blob, and CKR_GENERAL_ERROR, which
// SoftHSM 2 returns for a failed unwrap.
bool is_bad_blob(CK_RV rv) noexcept {
    switch (rv) {
        case CKR_WRAPPED_KEY_INVALID:
        case CKR_WRAPPED_KEY_LEN_RANGE:
        case CKR_ENCRYPTED_DATA_INVALID:
        case CKR_ENCRYPTED_DATA_LEN_RANGE:
        case CKR_GENERAL_ERROR:
            return true;
        default:
            return false;
    }
}

// The template of a short-lived generic secret session object that may leave the token only
// wrapped and has no use of its own: what wrap_secret creates (sensitive) and unwrap_secret
// unwraps into (not sensitive, so its value can be read once). Holds the values its attributes
// point to, so it is neither copied nor moved.
struct SessionSecretTemplate {
    explicit SessionSecretTemplate(bool sensitive_value) : sensitive(ck(sensitive_value)) {}
    SessionSecretTemplate(const SessionSecretTemplate&) = delete;
    SessionSecretTemplate& operator=(const SessionSecretTemplate&) = delete;

    static CK_BBOOL ck(bool value) { return value ? CK_TRUE : CK_FALSE; }

    CK_OBJECT_CLASS secret_class = CKO_SECRET_KEY;
    CK_KEY_TYPE generic = CKK_GENERIC_SECRET;
    CK_BBOOL yes = CK_TRUE;
    CK_BBOOL no = CK_FALSE;
    CK_BBOOL sensitive;
    std::vector<CK_ATTRIBUTE> attributes{
        {CKA_CLASS, &secret_class, sizeof secret_class},
        {CKA_KEY_TYPE, &generic, sizeof generic},
        {CKA_TOKEN, &no, sizeof no},
        {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &sensitive, sizeof sensitive},
        {CKA_EXTRACTABLE, &yes, sizeof yes},
        {CKA_SIGN, &no, sizeof no},
    };
};

}  // namespace

void Token::generate_hmac_key(const std::string& label) {
    if (label.empty())
        throw Error(Errc::invalid_argument, "an HMAC key needs a label");
    const auto& api = module().api();
    run([&](CK_SESSION_HANDLE s) {
        if (!find_by_label(api, s, CKO_SECRET_KEY, label).empty()) {
            throw Error(Errc::already_exists,
                        "the token already holds a secret key labelled '" + label + "'");
        }
        CK_OBJECT_CLASS secret_class = CKO_SECRET_KEY;
        CK_KEY_TYPE generic = CKK_GENERIC_SECRET;
        CK_ULONG length = kHmacKeyBytes;
        CK_BBOOL yes = CK_TRUE;
        CK_BBOOL no = CK_FALSE;
        Bytes id(16);
        check_rv(api.C_GenerateRandom(s, id.data(), id.size()), "C_GenerateRandom");
        // It signs and verifies (HMAC) and does nothing else; it never leaves the token, not
        // even wrapped.
        std::array<CK_ATTRIBUTE, 16> key_template{{
            {CKA_CLASS, &secret_class, sizeof secret_class},
            {CKA_KEY_TYPE, &generic, sizeof generic},
            {CKA_VALUE_LEN, &length, sizeof length},
            {CKA_TOKEN, &yes, sizeof yes},
            {CKA_PRIVATE, &yes, sizeof yes},
            {CKA_SENSITIVE, &yes, sizeof yes},
            {CKA_EXTRACTABLE, &no, sizeof no},
            {CKA_SIGN, &yes, sizeof yes},
            {CKA_VERIFY, &yes, sizeof yes},
            {CKA_ENCRYPT, &no, sizeof no},
            {CKA_DECRYPT, &no, sizeof no},
            {CKA_WRAP, &no, sizeof no},
            {CKA_UNWRAP, &no, sizeof no},
            {CKA_DERIVE, &no, sizeof no},
            {CKA_LABEL, const_cast<char*>(label.data()), label.size()},
            {CKA_ID, id.data(), id.size()},
        }};
        CK_MECHANISM mechanism{CKM_GENERIC_SECRET_KEY_GEN, nullptr, 0};
        CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
        check_rv(api.C_GenerateKey(s, &mechanism, key_template.data(), key_template.size(), &key),
                 "C_GenerateKey");
    });
}

bool Token::has_hmac_key(const std::string& label) {
    return run([&](CK_SESSION_HANDLE s) {
        return find_hmac_key(module().api(), s, label, /*required=*/false) != CK_INVALID_HANDLE;
    });
}

// The key is looked up on each call rather than cached: one C_FindObjects is small next to the
// database work around each use, and a handle cached across a token reset could name another
// object.
Bytes Token::hmac_sha256(const std::string& label, ByteView data) {
    const auto& api = module().api();
    return run([&](CK_SESSION_HANDLE s) {
        const CK_OBJECT_HANDLE key = find_hmac_key(api, s, label, /*required=*/true);
        CK_MECHANISM mechanism{CKM_SHA256_HMAC, nullptr, 0};
        check_rv(api.C_SignInit(s, &mechanism, key), "C_SignInit");
        Bytes mac(32);
        CK_ULONG size = mac.size();
        // C_Sign ends the operation whatever it returns (PKCS#11 v2.40 §5.11), so nothing is
        // left active on the pooled session.
        // An empty input still needs a valid pointer (SoftHSM refuses NULL).
        std::uint8_t none = 0;
        auto* input = data.empty() ? &none : const_cast<std::uint8_t*>(data.data());
        check_rv(api.C_Sign(s, input, data.size(), mac.data(), &size), "C_Sign");
        mac.resize(size);
        return mac;
    });
}

Bytes Token::wrap_secret(const std::string& kek_label, ByteView secret) {
    if (secret.size() < kMinSecret || secret.size() > kMaxSecret) {
        throw Error(Errc::invalid_argument, "a secret to wrap has 16 to 64 bytes, not " +
                                                std::to_string(secret.size()));
    }
    // The secret, 0x80 and zeros to a whole number of 8-byte semiblocks (ISO/IEC 7816-4
    // padding), so RFC 5649 adds no padding of its own: SoftHSM 2.6 leaves RFC 5649's padding
    // on an unwrapped secret key's value, and a secret's length must survive the round trip.
    std::array<std::uint8_t, kMaxSecret + 8> padded{};
    std::ranges::copy(secret, padded.begin());
    padded[secret.size()] = 0x80;
    const std::size_t padded_size = (secret.size() / 8 + 1) * 8;
    struct Wipe {
        std::array<std::uint8_t, kMaxSecret + 8>& bytes;
        ~Wipe() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
    } wipe{padded};
    const auto& api = module().api();
    return run([&](CK_SESSION_HANDLE s) {
        const CK_OBJECT_HANDLE kek = find_kek(api, s, kek_label);
        // The secret as a session object, for the time of C_WrapKey (the KEK may only wrap and
        // unwrap keys, not encrypt data).
        SessionSecretTemplate object_template(/*sensitive=*/true);
        object_template.attributes.push_back({CKA_VALUE, padded.data(), padded_size});
        CK_OBJECT_HANDLE object = CK_INVALID_HANDLE;
        check_rv(api.C_CreateObject(s, object_template.attributes.data(),
                                    object_template.attributes.size(), &object),
                 "C_CreateObject");
        ObjectGuard destroy(api, s, object);
        CK_MECHANISM mechanism{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
        CK_ULONG size = 0;
        check_rv(api.C_WrapKey(s, &mechanism, kek, object, nullptr, &size), "C_WrapKey");
        Bytes blob(size);
        check_rv(api.C_WrapKey(s, &mechanism, kek, object, blob.data(), &size), "C_WrapKey");
        blob.resize(size);
        return blob;
    });
}

Secret Token::unwrap_secret(const std::string& kek_label, ByteView blob) {
    // RFC 5649 §3 over wrap_secret's padded value: whole 8-byte semiblocks, one of them the
    // integrity check, 24 to 80 bytes in all.
    if (blob.size() < kMinSecret + 16 || blob.size() % 8 != 0 || blob.size() > kMaxSecret + 16)
        throw Error(Errc::invalid_argument, "the wrapped secret is not an RFC 5649 blob");
    const auto& api = module().api();
    return run([&](CK_SESSION_HANDLE s) {
        const CK_OBJECT_HANDLE kek = find_kek(api, s, kek_label);
        // Not sensitive, so its value can be read once, into secure memory; then destroyed.
        SessionSecretTemplate object_template(/*sensitive=*/false);
        CK_MECHANISM mechanism{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
        CK_OBJECT_HANDLE object = CK_INVALID_HANDLE;
        const CK_RV rv = api.C_UnwrapKey(s, &mechanism, kek, const_cast<std::uint8_t*>(blob.data()),
                                         blob.size(), object_template.attributes.data(),
                                         object_template.attributes.size(), &object);
        if (is_bad_blob(rv)) {
            throw Error(Errc::invalid_argument,
                        "the wrapped secret does not unwrap under key-encryption key '" +
                            kek_label + "' (altered, or wrapped under another key)",
                        Pkcs11Failure{"C_UnwrapKey", static_cast<std::uint64_t>(rv)});
        }
        check_rv(rv, "C_UnwrapKey");
        ObjectGuard destroy(api, s, object);
        CK_ATTRIBUTE value{CKA_VALUE, nullptr, 0};
        check_rv(api.C_GetAttributeValue(s, object, &value, 1), "C_GetAttributeValue");
        if (value.ulValueLen > kMaxSecret + 8)
            throw Error(Errc::invalid_argument, "the unwrapped secret is too long");
        std::array<char, kMaxSecret + 8> buffer{};
        value.pValue = buffer.data();
        const CK_RV read = api.C_GetAttributeValue(s, object, &value, 1);
        // Strip wrap_secret's ISO/IEC 7816-4 padding: zeros after a last 0x80.
        std::size_t size = read == CKR_OK ? value.ulValueLen : 0;
        while (size > 0 && buffer[size - 1] == 0)
            --size;
        const bool padded = size > 0 && static_cast<std::uint8_t>(buffer[size - 1]) == 0x80;
        Secret secret(std::string_view(buffer.data(), padded ? size - 1 : 0));
        OPENSSL_cleanse(buffer.data(), buffer.size());
        check_rv(read, "C_GetAttributeValue");
        if (!padded || secret.size() < kMinSecret)
            throw Error(Errc::invalid_argument, "the unwrapped secret is not one wrap_secret made");
        return secret;
    });
}

}  // namespace signet::hsm
