// libFuzzer target: the SMS gateway's body template (ra/sms_gateway.hpp) — the policy's JSON
// template, rendered with a phone number and message — and the answer excerpt that is logged.
// Every input gives a JSON body that parses back, or Errc::invalid_argument; an excerpt never
// holds a run of 4 digits or a control character; never a crash, a hang or another exception.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "ra/sms_gateway.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    // The first line is the template, the rest the message.
    const auto newline = text.find('\n');
    const std::string_view body_template = text.substr(0, newline);
    const std::string_view message =
        newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    try {
        const std::string body = signet::ra::render_sms_body(body_template, "+8613800138000",
                                                             message);
        if (!nlohmann::json::accept(body))
            std::abort();
    } catch (const signet::Error& e) {
        if (e.code() != signet::Errc::invalid_argument)
            std::abort();
    }
    std::string excerpt = signet::ra::answer_excerpt(text, 64);
    if (text.size() > 64)
        excerpt.resize(excerpt.size() - ("...(" + std::to_string(size) + " bytes)").size());
    int digits = 0;
    for (const char c : excerpt) {
        digits = (c >= '0' && c <= '9') ? digits + 1 : 0;
        if (digits >= 4 || static_cast<unsigned char>(c) < 0x20)
            std::abort();
    }
    return 0;
}
