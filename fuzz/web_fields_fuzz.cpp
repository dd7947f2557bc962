// libFuzzer target: the web pages' readers of request fields (web/language.hpp
// preferred_language, web/conditional.hpp none_match_matches). Any Accept-Language or
// If-None-Match must give one of our languages and a yes or no, never a throw or a crash; a
// field that names the tag exactly, alone, always matches it.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "web/conditional.hpp"
#include "web/language.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const std::string_view language = signet::web::preferred_language(text);
    if (language != signet::web::kEnglish && language != signet::web::kChinese)
        std::abort();
    // The input as a list of tags against a fixed tag, and as the tag itself.
    static_cast<void>(signet::web::none_match_matches(text, "\"0123abcd\""));
    if (text.size() < 1024 && text.find('"') == std::string_view::npos) {
        const std::string tag = "\"" + std::string(text) + "\"";
        if (!signet::web::none_match_matches(tag, tag))
            std::abort();
    }
    return 0;
}
