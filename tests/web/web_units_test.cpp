// web/'s parts without a browser: the embedded assets (what embed_assets.cmake made of
// web/assets/), the language chosen from Accept-Language, If-None-Match, the rate limit per
// address on a manual clock, and the security headers.
#include <boost/test/unit_test.hpp>
#include <chrono>

#include "common/bytes.hpp"
#include "common/digest.hpp"
#include "tests/support/process.hpp"
#include "web/assets.hpp"
#include "web/conditional.hpp"
#include "web/language.hpp"
#include "web/rate_limiter.hpp"
#include "web/web_routes.hpp"

using namespace signet;
using namespace signet::web;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(every_asset_is_embedded_with_its_type_and_a_tag_of_its_bytes) {
    const auto assets = embedded_assets();
    BOOST_REQUIRE(!assets.empty());
    for (const auto& name : {"verify.html", "verify.js", "report_view.js", "package_view.js",
                             "i18n.js", "strings/en.js", "strings/zh-CN.js", "signet.css",
                             "sign.html", "sign.js", "sign_view.js", "pdf_pages.js"}) {
        const Asset* asset = find_asset(name);
        BOOST_REQUIRE_MESSAGE(asset != nullptr, name);
        const std::string source =
            testing::read_file(testing::source_file("web/assets/" + std::string(name)));
        BOOST_TEST(asset->body == source, name);
        const auto digest = sha256_of(std::string_view(source));
        BOOST_TEST(asset->etag == "\"" + to_hex(digest) + "\"", name);
    }
    BOOST_TEST(find_asset("verify.js")->content_type == "text/javascript; charset=utf-8");
    BOOST_TEST(find_asset("signet.css")->content_type == "text/css; charset=utf-8");
    BOOST_TEST(find_asset("verify.html")->content_type == "text/html; charset=utf-8");
    BOOST_TEST(find_asset("../CMakeLists.txt") == nullptr);
    // pdf.js, embedded from Debian's libjs-pdf (.incbin): the same bytes and tag.
    for (const auto& name : {"pdf.js", "pdf.worker.js"}) {
        const Asset* asset = find_asset("pdfjs/" + std::string(name));
        BOOST_REQUIRE_MESSAGE(asset != nullptr, name);
        const std::string source =
            testing::read_file("/usr/share/javascript/pdf/build/" + std::string(name));
        BOOST_TEST(asset->body == source, name);
        BOOST_TEST(asset->etag == "\"" + to_hex(sha256_of(std::string_view(source))) + "\"", name);
        BOOST_TEST(asset->content_type == "text/javascript; charset=utf-8");
    }
    BOOST_TEST(find_asset("") == nullptr);
}

BOOST_AUTO_TEST_CASE(accept_language_chooses_chinese_or_english) {
    BOOST_TEST(preferred_language("") == kEnglish);
    BOOST_TEST(preferred_language("zh-CN,zh;q=0.9,en;q=0.8") == kChinese);
    BOOST_TEST(preferred_language("zh-Hans-CN") == kChinese);
    BOOST_TEST(preferred_language("ZH-tw") == kChinese);
    BOOST_TEST(preferred_language("en-US,en;q=0.9") == kEnglish);
    BOOST_TEST(preferred_language("en;q=0.5, zh;q=0.8") == kChinese);
    BOOST_TEST(preferred_language("zh;q=0.5, en;q=0.5") == kChinese);  // a tie: the first
    BOOST_TEST(preferred_language("fr-FR, zh;q=0.3") == kChinese);     // fr is not ours
    BOOST_TEST(preferred_language("zh;q=0, en;q=0.1") == kEnglish);    // q=0: not this one
    BOOST_TEST(preferred_language("de, *;q=0.5") == kEnglish);
    BOOST_TEST(preferred_language("fr") == kEnglish);
    // Malformed: English, whatever came first.
    BOOST_TEST(preferred_language("zh;q=2") == kEnglish);
    BOOST_TEST(preferred_language("zh;q=0.12345") == kEnglish);
    BOOST_TEST(preferred_language("zh;q=abc") == kEnglish);
    BOOST_TEST(preferred_language("zh;foo=bar") == kChinese);  // another parameter is ignored
}

BOOST_AUTO_TEST_CASE(if_none_match_compares_tags_weakly) {
    const std::string_view tag = "\"abc\"";
    BOOST_TEST(none_match_matches("\"abc\"", tag));
    BOOST_TEST(none_match_matches("W/\"abc\"", tag));
    BOOST_TEST(none_match_matches("\"x\", \"abc\"", tag));
    BOOST_TEST(none_match_matches(" * ", tag));
    BOOST_TEST(!none_match_matches("", tag));
    BOOST_TEST(!none_match_matches("\"abcd\"", tag));
    BOOST_TEST(!none_match_matches("abc", tag));
    BOOST_TEST(!none_match_matches("\"abc", tag));
    BOOST_TEST(!none_match_matches("\"x\" \"abc\"", tag));  // no comma: malformed
}

BOOST_AUTO_TEST_CASE(an_address_gets_its_requests_per_minute_then_waits) {
    ManualClock clock;
    AddressRateLimiter limiter(3, clock);
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(!limiter.acquire("192.0.2.1").has_value());
    const auto wait = limiter.acquire("192.0.2.1");
    BOOST_REQUIRE(wait.has_value());
    BOOST_TEST(wait->count() == 20);  // one request back every 60/3 s
    // Another address has its own bucket.
    BOOST_TEST(!limiter.acquire("192.0.2.2").has_value());
    clock.advance(20s);
    BOOST_TEST(!limiter.acquire("192.0.2.1").has_value());
    BOOST_TEST(limiter.acquire("192.0.2.1").has_value());
    // A clock set back gives nothing back.
    clock.advance(-1h);
    BOOST_TEST(limiter.acquire("192.0.2.1").has_value());
}

BOOST_AUTO_TEST_CASE(the_addresses_tracked_are_bounded) {
    ManualClock clock;
    AddressRateLimiter limiter(2, clock, 4);
    for (int i = 0; i < 10; ++i)
        limiter.acquire("198.51.100." + std::to_string(i));
    BOOST_TEST(limiter.tracked_addresses() <= 4u);
    // When room is needed, the address unused longest goes; one just used stays, its bucket
    // still spent.
    clock.advance(1s);
    limiter.acquire("203.0.113.9");
    limiter.acquire("203.0.113.9");
    for (int i = 0; i < 3; ++i)
        limiter.acquire("198.51.100.9" + std::to_string(i));
    BOOST_TEST(limiter.acquire("203.0.113.9").has_value());
}

BOOST_AUTO_TEST_CASE(the_security_headers_are_all_there) {
    api::Response response;
    add_security_headers(response);
    auto value = [&](std::string_view name) {
        for (const auto& [n, v] : response.headers)
            if (n == name)
                return v;
        return std::string();
    };
    BOOST_TEST(value("Content-Security-Policy").find("script-src 'self';") != std::string::npos);
    BOOST_TEST(value("Content-Security-Policy").find("unsafe") == std::string::npos);
    BOOST_TEST(value("X-Frame-Options") == "DENY");
    BOOST_TEST(value("X-Content-Type-Options") == "nosniff");
    BOOST_TEST(value("Referrer-Policy") == "no-referrer");
}
