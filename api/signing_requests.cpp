#include "api/signing_requests.hpp"

#include <algorithm>

#include "common/bytes.hpp"
#include "common/error.hpp"

namespace signet::api {

namespace {

// A page is at most 14,400 units on a side (ISO 32000-1 annex C.2: 200 inches at 72 per inch).
constexpr std::int64_t kMaxPoint = 14'400;

Bytes sha256_member(const JsonBody& body) {
    const std::string hex = body.string("revision_sha256");
    const bool ok = hex.size() == 64 && std::ranges::all_of(hex, [](char c) {
                        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                    });
    if (!ok)
        throw Error(Errc::invalid_argument, "'revision_sha256' is 64 lowercase hex digits");
    return from_hex(hex);
}

}  // namespace

sign::SigningRequest decode_signing_request(const JsonBody& body) {
    body.only({"revision_sha256", "challenge_id", "code", "appearance"});
    sign::SigningRequest request;
    request.authorization.revision_sha256 = sha256_member(body);
    request.authorization.challenge_id = body.optional_string("challenge_id");
    request.authorization.code = body.string("code");
    if (const auto a = body.optional_object("appearance")) {
        a->only({"page", "left", "bottom", "right", "top"});
        sign::SignatureAppearance appearance;
        appearance.page = static_cast<int>(a->integer("page", 1, 100'000));
        appearance.left = static_cast<double>(a->integer("left", 0, kMaxPoint));
        appearance.bottom = static_cast<double>(a->integer("bottom", 0, kMaxPoint));
        appearance.right = static_cast<double>(a->integer("right", 0, kMaxPoint));
        appearance.top = static_cast<double>(a->integer("top", 0, kMaxPoint));
        if (appearance.right <= appearance.left || appearance.top <= appearance.bottom)
            throw Error(Errc::invalid_argument,
                        "'appearance' needs right > left and top > bottom");
        request.appearance = appearance;
    }
    return request;
}

std::string decode_signing_channel(const JsonBody& body) {
    body.only({"channel"});
    std::string channel = body.string("channel");
    if (channel != "sms" && channel != "totp")
        throw Error(Errc::invalid_argument, "'channel' is \"sms\" or \"totp\"");
    return channel;
}

}  // namespace signet::api
