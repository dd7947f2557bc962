// What the service's files share (csc/service_core.hpp).
#include "csc/service_core.hpp"

#include <openssl/rand.h>

#include <algorithm>

#include "common/digest.hpp"
#include "common/error.hpp"

namespace signet::csc::detail {

namespace {

constexpr std::size_t kSecretBytes = 32;
constexpr std::size_t kSecretChars = 43;  // base64url of 32 bytes without padding

bool is_base64url(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

}  // namespace

audit::AuditEvent Core::event(std::string type, const Caller& caller, std::string object,
                              nlohmann::json details) const {
    details["address"] = caller.address;
    return audit::AuditEvent{std::move(type), "client:" + caller.client, std::move(object),
                             std::move(details)};
}

void refuse(CscFailure failure, const std::string& description) {
    throw CscError(failure, description);
}

std::string new_secret() {
    Bytes random(kSecretBytes);
    // OpenSSL's RAND_priv_bytes(3): "for values that should remain private".
    if (RAND_priv_bytes(random.data(), static_cast<int>(random.size())) != 1)
        throw Error(Errc::internal, "the random generator failed");
    std::string text = to_base64(random);
    std::ranges::fill(random, 0);
    // RFC 4648 §5: '-' and '_' for '+' and '/', and no padding.
    std::ranges::replace(text, '+', '-');
    std::ranges::replace(text, '/', '_');
    text.erase(text.find_last_not_of('=') + 1);
    return text;
}

Bytes secret_hash(std::string_view secret) {
    const Sha256Digest digest = sha256_of(secret);
    return Bytes(digest.begin(), digest.end());
}

bool has_secret_form(std::string_view text) noexcept {
    return text.size() == kSecretChars && std::ranges::all_of(text, is_base64url);
}

std::vector<std::string> hex_list(const std::vector<Bytes>& values) {
    std::vector<std::string> out;
    out.reserve(values.size());
    for (const Bytes& value : values)
        out.push_back(to_hex(value));
    return out;
}

std::vector<std::string> hex_elements(const std::vector<Bytes>& values) {
    return hex_list(values);
}

std::vector<Bytes> from_hex_elements(const std::vector<std::string>& values) {
    std::vector<Bytes> out;
    out.reserve(values.size());
    for (const std::string& value : values)
        out.push_back(from_hex(value));
    return out;
}

std::string credential_object(std::string_view credential_id) {
    return "csc_credential:" + std::string(credential_id);
}

}  // namespace signet::csc::detail
