#include "audit/checkpoint.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>

#include "common/error.hpp"
#include "common/handle.hpp"

namespace signet::audit {

namespace {

bool is_origin(std::string_view origin) {
    return !origin.empty() && origin.size() <= 128 && std::ranges::all_of(origin, [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == ':' || c == '/' || c == '-';
    });
}

[[noreturn]] void refuse(std::string_view line, const std::string& why) {
    throw Error(Errc::invalid_argument, "checkpoint body: " + std::string(line) + " line " + why);
}

// The next line of `body` without its "\n"; refuses a body that ends without one.
std::string_view take_line(std::string_view& body, std::string_view name) {
    const std::size_t end = body.find('\n');
    if (end == std::string_view::npos)
        refuse(name, "is missing or does not end with a newline");
    const std::string_view line = body.substr(0, end);
    body.remove_prefix(end + 1);
    return line;
}

}  // namespace

std::string checkpoint_body(const Checkpoint& checkpoint) {
    if (!is_origin(checkpoint.origin))
        throw Error(Errc::invalid_argument,
                    "checkpoint origin must be 1-128 characters of [A-Za-z0-9._:/-]");
    const auto time = std::chrono::floor<std::chrono::microseconds>(checkpoint.time);
    return checkpoint.origin + "\n" + std::to_string(checkpoint.size) + "\n" +
           to_base64(checkpoint.root) + "\n" + format_utc(time) + "\n";
}

Checkpoint parse_checkpoint_body(std::string_view body) {
    // Bounded before anything else: 128 + 20 + 44 + 27 characters and four newlines.
    if (body.size() > 256)
        throw Error(Errc::invalid_argument, "checkpoint body: longer than 256 bytes");
    Checkpoint checkpoint;
    const std::string_view origin = take_line(body, "origin");
    if (!is_origin(origin))
        refuse("origin", "is not 1-128 characters of [A-Za-z0-9._:/-]");
    checkpoint.origin = std::string(origin);

    const std::string_view size = take_line(body, "size");
    const bool digits = !size.empty() && size.size() <= 20 &&
                        std::ranges::all_of(size, [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || (size.size() > 1 && size.front() == '0'))
        refuse("size", "is not a decimal number without sign or leading zero");
    std::uint64_t value = 0;
    for (char c : size) {
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (UINT64_MAX - digit) / 10)
            refuse("size", "is out of range");
        value = value * 10 + digit;
    }
    checkpoint.size = value;

    const std::string_view root = take_line(body, "root");
    Bytes decoded;
    try {
        decoded = from_base64(root);
    } catch (const Error&) {
        refuse("root", "is not standard base64 with padding");
    }
    if (decoded.size() != checkpoint.root.size())
        refuse("root", "is not 32 bytes");
    // The decoder ignores the unused low bits of the last character, so "...wF=" and "...wE="
    // name one hash; only the form checkpoint_body writes is accepted, or two texts would carry
    // one signature (found by fuzz/audit_checkpoint_fuzz).
    if (to_base64(decoded) != root)
        refuse("root", "is not canonical base64 (unused bits set in the last character)");
    std::copy(decoded.begin(), decoded.end(), checkpoint.root.begin());

    const std::string_view time = take_line(body, "time");
    try {
        checkpoint.time = parse_utc(time);
    } catch (const Error&) {
        refuse("time", "is not RFC 3339 UTC");
    }
    // Exactly the form checkpoint_body writes: six fractional digits and "Z", nothing else.
    if (format_utc(checkpoint.time) != time)
        refuse("time", "is not in the form 2026-11-22T09:55:00.123456Z");
    if (!body.empty())
        throw Error(Errc::invalid_argument, "checkpoint body: text after the time line");
    return checkpoint;
}

bool checkpoint_signature_verifies(const X509* certificate, std::string_view body,
                                   ByteView signature) {
    EVP_PKEY* key = X509_get0_pubkey(certificate);
    EvpMdCtxPtr context(EVP_MD_CTX_new());
    const bool ok =
        key != nullptr && context &&
        EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
        EVP_DigestVerify(context.get(), signature.data(), signature.size(),
                         reinterpret_cast<const unsigned char*>(body.data()), body.size()) == 1;
    clear_openssl_errors();
    return ok;
}

}  // namespace signet::audit
