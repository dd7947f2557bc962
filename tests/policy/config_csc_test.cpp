// signet.yaml's csc section: absent means no /csc/v2, defaults, every key read, and each mistake
// named at its place.
#include <boost/test/unit_test.hpp>

#include "tests/policy/config_fixture.hpp"

using namespace signet;
using namespace signet::policy;
using signet::policy::testing::Fixture;

BOOST_AUTO_TEST_SUITE(config_csc)

BOOST_AUTO_TEST_CASE(absent_section_serves_nothing) {
    Fixture f;
    BOOST_CHECK(!f.load(Fixture::base()).csc.has_value());
}

BOOST_AUTO_TEST_CASE(defaults_and_every_key) {
    Fixture f;
    const Config d = f.load(Fixture::base() +
                            "csc:\n"
                            "  name: Signet Remote Signing\n"
                            "  logo: https://signet.example/logo.png\n");
    BOOST_REQUIRE(d.csc.has_value());
    BOOST_CHECK_EQUAL(d.csc->name, "Signet Remote Signing");
    BOOST_CHECK_EQUAL(d.csc->logo, "https://signet.example/logo.png");
    BOOST_CHECK_EQUAL(d.csc->region, "CN");
    BOOST_CHECK_EQUAL(d.csc->lang, "en-US");
    BOOST_CHECK_EQUAL(d.csc->description, "");
    BOOST_CHECK_EQUAL(d.csc->access_token_lifetime.count(), 3600);
    BOOST_CHECK_EQUAL(d.csc->refresh_token_days, 30u);
    BOOST_CHECK_EQUAL(d.csc->sad_lifetime.count(), 300);
    BOOST_CHECK_EQUAL(d.csc->multisign, 100u);

    const Config c = f.load(Fixture::base() +
                            "csc:\n"
                            "  name: 签网\n"
                            "  logo: https://signet.example/l.png\n"
                            "  region: DE\n"
                            "  lang: zh-Hans-CN\n"
                            "  description: Remote signing for platforms\n"
                            "  access_token_seconds: 60\n"
                            "  refresh_token_days: 0\n"
                            "  sad_seconds: 3600\n"
                            "  multisign: 1000\n");
    BOOST_CHECK_EQUAL(c.csc->name, "签网");
    BOOST_CHECK_EQUAL(c.csc->region, "DE");
    BOOST_CHECK_EQUAL(c.csc->lang, "zh-Hans-CN");
    BOOST_CHECK_EQUAL(c.csc->description, "Remote signing for platforms");
    BOOST_CHECK_EQUAL(c.csc->access_token_lifetime.count(), 60);
    BOOST_CHECK_EQUAL(c.csc->refresh_token_days, 0u);
    BOOST_CHECK_EQUAL(c.csc->sad_lifetime.count(), 3600);
    BOOST_CHECK_EQUAL(c.csc->multisign, 1000u);
}

BOOST_AUTO_TEST_CASE(mistakes_are_named) {
    Fixture f;
    const std::string message =
        f.error(Fixture::base() +
                "csc:\n"                                    // 5
                "  logo: http://signet.example/l.png\n"     // 6
                "  region: cn\n"                            // 7
                "  lang: '1x'\n"                            // 8
                "  description: " + std::string(256, 'd') + "\n"  // 9
                "  access_token_seconds: 59\n"              // 10
                "  refresh_token_days: 366\n"               // 11
                "  sad_seconds: 3601\n"                     // 12
                "  multisign: 0\n"                          // 13
                "  colour: blue\n");                        // 14
    const auto has = [&](const std::string& what) {
        BOOST_CHECK_MESSAGE(message.find(what) != std::string::npos, what + "\n---\n" + message);
    };
    has("csc.name: is required");
    has(f.at(6, 9) + "csc.logo: 'http://signet.example/l.png' is not an https URI");
    has(f.at(7, 11) + "csc.region: 'cn' is not an ISO 3166-1 alpha-2 code");
    has(f.at(8, 9) + "csc.lang: '1x' is not an RFC 5646 language tag");
    has(f.at(9, 16) + "csc.description: must be at most 255 characters");
    has(f.at(10, 25) + "csc.access_token_seconds: 59 is not a duration (60-86400)");
    has(f.at(11, 23) + "csc.refresh_token_days: 366 is not a number of days (0-365)");
    has(f.at(12, 16) + "csc.sad_seconds: 3601 is not a duration (30-3600)");
    has(f.at(13, 14) + "csc.multisign: 0 is not a number of signatures (1-1000)");
    has(f.at(14, 3) + "csc.colour: unknown key");

    const std::string long_name = f.error(Fixture::base() + "csc:\n  name: '" +
                                          std::string(256, 'n') +
                                          "'\n  logo: https://s.example/l.png\n");
    BOOST_CHECK_MESSAGE(long_name.find("csc.name: must be 1 to 255 characters") !=
                            std::string::npos,
                        long_name);
    const std::string no_logo = f.error(Fixture::base() + "csc:\n  name: S\n");
    BOOST_CHECK_MESSAGE(no_logo.find("csc.logo: is required") != std::string::npos, no_logo);
}

BOOST_AUTO_TEST_CASE(csc_is_a_scope) {
    Fixture f;
    const Config c = f.load(Fixture::base() +
                            "api_clients:\n"
                            "  - name: platform\n"
                            "    scopes: [csc]\n"
                            "    token_sha256: " + std::string(64, 'a') + "\n");
    BOOST_REQUIRE_EQUAL(c.api_clients.size(), 1u);
    BOOST_CHECK_EQUAL(c.api_clients[0].scopes.at(0), "csc");
}

BOOST_AUTO_TEST_SUITE_END()
