// RFC 3161 statusString (PKIFreeText, UTF-8) as clients show it: `openssl ts -reply -text`,
// jarsigner and the like print any byte outside ASCII as an escape, so every statusString the
// TSA can send is printable ASCII. Each failure the responder can produce is driven here, and
// the route's own (no responder, because its certificate is refused); each text must also reach
// the client as the responder wrote it (written in ASCII, not patched on the way out).
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <iterator>
#include <set>
#include <thread>

#include "api/server.hpp"
#include "api/tsa_routes.hpp"
#include "tests/support/signetd.hpp"
#include "tests/tsa/tsa_fixture.hpp"
#include "tsa/protocol.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;
using tsa::Failure;

namespace {

bool printable_ascii(std::string_view text) {
    return std::ranges::all_of(text, [](char c) { return c >= 0x20 && c <= 0x7e; });
}

// The statusString of one reply: printable ASCII, and openssl prints it as it is.
void check_status_text(const Bytes& der, const std::filesystem::path& file,
                       const std::string& expected) {
    const ParsedReply parsed = parse_reply(der);
    BOOST_CHECK_EQUAL(parsed.status, 2);
    BOOST_CHECK_MESSAGE(printable_ascii(parsed.status_text), "not ASCII: " << parsed.status_text);
    BOOST_CHECK_EQUAL(parsed.status_text, expected);
    write_file(file, std::string(der.begin(), der.end()));
    const CommandResult shown = run_command({"openssl", "ts", "-reply", "-in", file, "-text"});
    BOOST_CHECK_EQUAL(shown.exit_code, 0);
    BOOST_CHECK_MESSAGE(shown.output.find("Status description: " + expected) != std::string::npos,
                        shown.output);
}

std::shared_ptr<Logger> status_test_log() {
    static auto log = std::make_shared<Logger>(LogDestination::standard_error(),
                                               LoggerOptions{.minimum = LogLevel::error});
    return log;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tsa_status_text)

BOOST_AUTO_TEST_CASE(every_status_string_the_responder_sends_is_ascii) {
    TsaFixture f({.database = "tsa_status"});
    const Bytes good = make_request({});
    Bytes trailing = good;
    trailing.push_back(0x00);
    // Built by appending to a reserved buffer: g++ 12 -O2 warns falsely (-Warray-bounds) on
    // inserting a range into a three-byte vector once the unity build inlines it differently.
    Bytes long_form;
    long_form.reserve(good.size() + 1);
    long_form.assign({0x30, 0x81, good[1]});
    std::copy(good.begin() + 2, good.end(), std::back_inserter(long_form));
    const std::vector<std::pair<std::string, Bytes>> requests{
        {"empty", {}},
        {"too large", Bytes(tsa::kMaxRequestBytes + 1, 0x30)},
        {"not a request", Bytes{'h', 'e', 'l', 'l', 'o'}},
        {"trailing bytes", trailing},
        {"not DER", long_form},
        {"version 2", make_request({.version = 2})},
        {"SHA-1", make_request({.digest_nid = NID_sha1})},
        {"parameters", make_request({.parameter_type = V_ASN1_INTEGER})},
        {"imprint length", make_request({.imprint_size = 20})},
        {"policy", make_request({.policy = "1.2.3.4"})},
        {"nonce", make_request({.nonce_bytes = 65})},
        {"extension", make_request({.extension = true})},
    };
    std::set<std::string> failures;
    int n = 0;
    auto check = [&](const std::string& what, const tsa::Reply& reply) {
        BOOST_TEST_CONTEXT(what) {
            BOOST_REQUIRE(reply.failure.has_value());
            failures.insert(std::string(to_string(*reply.failure)));
            // A systemFailure's cause stays in the log; the client reads a fixed text.
            const std::string expected = *reply.failure == Failure::system_failure
                                             ? "the TSA cannot issue a time-stamp now (system "
                                               "failure)"
                                             : reply.reason;
            check_status_text(reply.der, f.dir.path() / ("reply" + std::to_string(++n)), expected);
        }
    };
    for (const auto& [what, request] : requests)
        check(what, f.responder->respond(request, kRequester));
    // The clock: unsynchronised, and synchronised with too large a bound.
    f.clock->set_health({false, 0us, 16s, "the kernel reports the clock unsynchronised"});
    check("unsynchronised", f.responder->respond(good, kRequester));
    f.clock->set_health({true, 1ms, 2s, ""});
    check("maximum error", f.responder->respond(good, kRequester));
    f.clock->set_health({});
    // A system failure: the certificate is not valid at genTime.
    f.clock->advance(std::chrono::days(400));
    check("expired", f.responder->respond(good, kRequester));
    BOOST_CHECK_EQUAL(failures.size(), 7u);  // every failInfo but addInfoNotAvailable
    BOOST_CHECK_EQUAL(f.tokens->count(), 0);
}

BOOST_AUTO_TEST_CASE(the_routes_own_refusal_is_ascii) {
    // As signetd does when the responder cannot be made: the reason becomes the statusString.
    TsaFixture f({.database = "tsa_status_route", .start = false});
    auto options = f.responder_options({});
    options.identity.certificate = make_tsa_certificate(f.signer->public_key(), f.issuing.get(),
                                                        f.issuing_key.get(), {.no_eku = true});
    std::string reason;
    try {
        tsa::Responder refused(std::move(options));
        BOOST_FAIL("a certificate without id-kp-timeStamping was taken");
    } catch (const Error& e) {
        reason = std::string("the TSA cannot sign: ") + e.what();
    }
    api::Router router;
    api::add_tsa_routes(router, nullptr, reason);
    api::ServerOptions server_options;
    server_options.http = {true, "127.0.0.1", 0};
    server_options.threads = 1;
    api::Server server(std::move(server_options), std::move(router),
                       api::ServerContext{nullptr, nullptr, status_test_log(), nullptr, {}});
    std::thread runner([&] { server.run(); });
    const Bytes request = make_request({});
    const auto response =
        http_request(server.http_port(), "POST", "/tsa",
                     std::string(request.begin(), request.end()), "application/timestamp-query");
    server.stop(1s);
    runner.join();
    BOOST_REQUIRE_EQUAL(response.status, 200);
    check_status_text(Bytes(response.body.begin(), response.body.end()), f.dir.path() / "route",
                      reason.substr(0, tsa::kMaxStatusTextBytes));
}

BOOST_AUTO_TEST_CASE(a_text_from_elsewhere_is_made_ascii_on_the_way_out) {
    // The last line of defence for a text the TSA did not write (an exception's message).
    const ParsedReply parsed = parse_reply(tsa::rejection_response({Failure::system_failure,
                                                                    "caf\xc3\xa9 \xc2\xa7"
                                                                    "2\tend\n"}));
    BOOST_CHECK_EQUAL(parsed.status_text, "caf?? ??2?end?");
    // Cut at kMaxStatusTextBytes, never inside a character: there are none past ASCII.
    const ParsedReply cut = parse_reply(
        tsa::rejection_response({Failure::bad_alg, std::string(255, 'x') + "\xc2\xa7"}));
    BOOST_CHECK_EQUAL(cut.status_text, std::string(255, 'x') + "?");
}

BOOST_AUTO_TEST_SUITE_END()
