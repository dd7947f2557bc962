// signet.yaml's audit and evidence sections: defaults, every key read, and each mistake named at
// its place.
#include <boost/test/unit_test.hpp>

#include "tests/policy/config_fixture.hpp"

using namespace signet;
using namespace signet::policy;
using signet::policy::testing::Fixture;

BOOST_AUTO_TEST_SUITE(config_audit)

BOOST_AUTO_TEST_CASE(defaults_and_every_key) {
    Fixture f;
    const Config plain = f.load(Fixture::base());
    BOOST_CHECK_EQUAL(plain.audit.log_name, "signet");
    BOOST_CHECK_EQUAL(plain.audit.checkpoint_interval.count(), 300);
    BOOST_CHECK(plain.audit.witness_file.empty());
    BOOST_CHECK(plain.audit.witness_url.empty());

    const Config c = f.load(Fixture::base() +
                            "audit:\n"
                            "  log_name: example.com/signet-log_1:a\n"
                            "  checkpoint_interval: 0\n"
                            "  witness: {file: witness/checkpoints.jsonl}\n");
    BOOST_CHECK_EQUAL(c.audit.log_name, "example.com/signet-log_1:a");
    BOOST_CHECK_EQUAL(c.audit.checkpoint_interval.count(), 0);
    BOOST_CHECK_EQUAL(c.audit.witness_file, f.dir / "witness/checkpoints.jsonl");

    const Config u = f.load(Fixture::base() +
                            "audit:\n"
                            "  witness: {url: 'https://witness.example/add'}\n");
    BOOST_CHECK_EQUAL(u.audit.witness_url, "https://witness.example/add");
}

BOOST_AUTO_TEST_CASE(mistakes_are_named) {
    Fixture f;
    const std::string message = f.error(Fixture::base() +
                                        "audit:\n"                                    // 5
                                        "  log_name: 'two words'\n"                   // 6
                                        "  checkpoint_interval: 86401\n"              // 7
                                        "  witness: {file: a, url: 'ftp://x'}\n"      // 8
                                        "  colour: blue\n");                          // 9
    BOOST_CHECK_MESSAGE(message.find(f.at(6, 13) + "audit.log_name: 'two words' is not a log name") !=
                            std::string::npos,
                        message);
    BOOST_CHECK_MESSAGE(message.find(f.at(7, 24) + "audit.checkpoint_interval: 86401 is not a "
                                                   "duration (0-86400)") != std::string::npos,
                        message);
    BOOST_CHECK_MESSAGE(message.find("audit.witness.url: 'ftp://x' is not an http(s) URL") !=
                            std::string::npos,
                        message);
    BOOST_CHECK_MESSAGE(message.find(f.at(9, 3) + "audit.colour: unknown key") != std::string::npos,
                        message);
    const std::string both = f.error(Fixture::base() +
                                     "audit:\n"
                                     "  witness: {file: a, url: 'https://w.example/'}\n");
    BOOST_CHECK_MESSAGE(both.find("a witness is a file or a URL, not both") != std::string::npos,
                        both);
    const std::string none = f.error(Fixture::base() + "audit:\n  witness: {}\n");
    BOOST_CHECK_MESSAGE(none.find("a witness needs a file or a url") != std::string::npos, none);
}

BOOST_AUTO_TEST_CASE(evidence_package_builds_are_bounded) {
    Fixture f;
    BOOST_CHECK_EQUAL(f.load(Fixture::base()).evidence.max_concurrent_builds, 2u);
    const Config c = f.load(Fixture::base() + "evidence:\n  max_concurrent_builds: 64\n");
    BOOST_CHECK_EQUAL(c.evidence.max_concurrent_builds, 64u);
    for (const std::string bad : {"0", "65"}) {
        const std::string message = f.error(Fixture::base() +
                                            "evidence:\n"                           // 5
                                            "  max_concurrent_builds: " + bad + "\n"  // 6
                                            "  queue: 3\n");                         // 7
        BOOST_CHECK_MESSAGE(message.find(f.at(6, 26) + "evidence.max_concurrent_builds: " + bad +
                                         " is not a number of packages (1-64)") !=
                                std::string::npos,
                            message);
        BOOST_CHECK_MESSAGE(message.find(f.at(7, 3) + "evidence.queue: unknown key") !=
                                std::string::npos,
                            message);
    }
}

BOOST_AUTO_TEST_SUITE_END()
