#include "ra/jws_compact.hpp"

#include <string>

#include "common/bytes.hpp"
#include "ra/evidence_error.hpp"

namespace signet::ra {
namespace {

[[noreturn]] void malformed(const std::string& what) {
    throw EvidenceError(EvidenceRefusal::malformed, what);
}

bool is_base64url_char(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

// Strict base64url without padding (RFC 7515 §2, RFC 4648 §5). The text is translated to
// padded base64 for the common decoder, and the result must re-encode to the same text: a
// non-canonical encoding (other trailing bits) would be a second spelling of the same bytes.
Bytes decode_base64url(std::string_view text, const char* part) {
    const auto fail = [part] { malformed(std::string("the ") + part + " is not base64url"); };
    if (text.size() % 4 == 1)
        fail();
    std::string padded;
    padded.reserve(text.size() + 3);
    for (const char c : text) {
        if (!is_base64url_char(c))
            fail();
        padded.push_back(c == '-' ? '+' : c == '_' ? '/' : c);
    }
    while (padded.size() % 4 != 0)
        padded.push_back('=');
    Bytes bytes;
    try {
        bytes = from_base64(padded);
    } catch (const Error&) {
        fail();
    }
    if (to_base64(bytes) != padded)
        fail();
    return bytes;
}

nlohmann::json decode_json_object(std::string_view part_b64, const char* part) {
    const Bytes bytes = decode_base64url(part_b64, part);
    // The parser does not throw (allow_exceptions=false): a discarded value is the error.
    nlohmann::json value = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (value.is_discarded() || !value.is_object())
        malformed(std::string("the ") + part + " is not a JSON object");
    return value;
}

}  // namespace

JwsPreview preview_jws(std::string_view token) {
    const std::size_t first = token.find('.');
    const std::size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
        malformed("not a JWS compact serialization (three parts separated by '.')");
    JwsPreview preview;
    preview.header = decode_json_object(token.substr(0, first), "JOSE header");
    preview.payload = decode_json_object(token.substr(first + 1, second - first - 1), "payload");
    preview.signature_bytes = decode_base64url(token.substr(second + 1), "signature").size();
    return preview;
}

}  // namespace signet::ra
