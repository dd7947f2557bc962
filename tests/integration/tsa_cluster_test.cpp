// Two signetd processes as two nodes of a cluster behind a load balancer: one external
// PostgreSQL database (this executable's test cluster, not an embedded one of either node) and
// one SoftHSM token holding the TSA key, made by signetctl's key ceremony. Both serve POST /tsa
// at once over real HTTP; openssl makes every query and verifies every reply, and the database
// must hold exactly one row per token, under the node that issued it (DESIGN.md "Scale-out",
// invariant 2). tests/tsa/scale_test.cpp runs two responders in one process; this is the same
// with everything a process has of its own: PKCS#11 module, sessions, pools, journal, serials.
#include <openssl/rand.h>
#include <openssl/ts.h>

#include <boost/test/unit_test.hpp>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/bytes.hpp"
#include "common/handle.hpp"
#include "store/database.hpp"
#include "tests/store/test_cluster.hpp"
#include "tests/support/signetd.hpp"
#include "tests/support/softhsm.hpp"

using namespace signet::testing;

namespace {

using signet::TsRespPtr;

// Runs f(i) for i in [0, count) on `threads` threads. f must not use Boost.Test's assertions
// (they are not thread-safe): it records what it found and the caller checks afterwards.
template <class F>
void parallel_for(int count, int threads, F f) {
    std::atomic<int> next{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            for (int i; (i = next++) < count;)
                f(i);
        });
    }
    for (auto& thread : pool)
        thread.join();
}

// The token's serial number as the database stores it (the INTEGER's magnitude, minimal), in
// hex; empty when the reply is not a granted TimeStampResp.
std::string serial_hex(const std::string& reply) {
    const auto* p = reinterpret_cast<const unsigned char*>(reply.data());
    TsRespPtr response(d2i_TS_RESP(nullptr, &p, static_cast<long>(reply.size())));
    if (!response || TS_RESP_get_tst_info(response.get()) == nullptr)
        return "";
    const ASN1_INTEGER* serial = TS_TST_INFO_get_serial(TS_RESP_get_tst_info(response.get()));
    return signet::to_hex(
        {ASN1_STRING_get0_data(serial), static_cast<std::size_t>(ASN1_STRING_length(serial))});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tsa_cluster)

BOOST_AUTO_TEST_CASE(two_signetd_processes_on_one_database_and_one_token) {
    // Both nodes: the same token (its label and PIN file) and SoftHSM configuration, the same
    // external database; each its own state directory, port and process.
    const std::string dsn = TestCluster::instance().fresh_database("tsa_cluster");
    const auto token = SoftHsm::instance().new_token("tsa-cluster");
    const SignetdOptions shared{
        // Test machines often run without NTP; the clock's checks have tests of their own.
        .extra_yaml = "tsa:\n  allow_unsynchronized_clock: true\n",
        .token_label = token.token_label,
        .pin_file = SoftHsm::instance().pin_file(),
        .softhsm2_conf = SoftHsm::instance().dir() / "softhsm2.conf",
        .database_dsn = dsn,
    };
    SignetdProcess a(shared);
    SignetdProcess b(shared);

    // The key ceremony once, for the cluster: the TSA key into the shared token, the
    // certificates into the shared database.
    write_file(a.dir() / "ceremony.yaml", read_file(source_file("ops/ceremony.example.yaml")));
    const auto ceremony =
        run_command({built_file("ops/signetctl"), "ceremony", (a.dir() / "ceremony.yaml").string(),
                     "--config", a.config_file().string()});
    BOOST_REQUIRE_MESSAGE(ceremony.exit_code == 0, ceremony.output);
    const auto pki = a.dir() / "ceremony";
    a.start();
    b.start();
    BOOST_REQUIRE_NE(a.pid(), b.pid());

    // The queries, by openssl: fresh random imprints, openssl's own random nonces, certReq.
    constexpr int kTokens = 400;
    TempDir work("signet-tsa-cluster");
    auto file = [&](const char* kind, int i) {
        return (work.path() / (kind + std::to_string(i))).string();
    };
    std::vector<std::string> made(kTokens);
    parallel_for(kTokens, 4, [&](int i) {
        unsigned char imprint[32];
        RAND_bytes(imprint, sizeof imprint);
        const auto r =
            run_command({"openssl", "ts", "-query", "-sha256", "-digest",
                         signet::to_hex({imprint, sizeof imprint}), "-cert", "-out", file("q", i)});
        if (r.exit_code != 0)
            made[static_cast<std::size_t>(i)] = r.output;
    });
    for (const std::string& error : made)
        BOOST_REQUIRE_MESSAGE(error.empty(), error);

    // All at once: 16 clients, each request on a connection of its own, the even ones to node
    // a and the odd ones to node b, as a round-robin balancer would spread them.
    std::vector<HttpResponse> replies(kTokens);
    parallel_for(kTokens, 16, [&](int i) {
        const SignetdProcess& node = i % 2 == 0 ? a : b;
        replies[static_cast<std::size_t>(i)] =
            http_request(node.http_port(), "POST", "/tsa", read_file(file("q", i)),
                         "application/timestamp-query");
    });
    std::vector<std::string> serials(kTokens);
    for (int i = 0; i < kTokens; ++i) {
        const HttpResponse& reply = replies[static_cast<std::size_t>(i)];
        BOOST_REQUIRE_EQUAL(reply.status, 200);
        BOOST_REQUIRE_EQUAL(reply.headers.at("content-type"), "application/timestamp-reply");
        serials[static_cast<std::size_t>(i)] = serial_hex(reply.body);
        BOOST_REQUIRE_MESSAGE(!serials[static_cast<std::size_t>(i)].empty(),
                              "reply " << i << " is not a granted token");
        write_file(file("r", i), reply.body);
    }

    // Every token verifies with openssl against the ceremony's root: signature, chain,
    // ESS signing certificate, the query's imprint and nonce.
    std::vector<std::string> failures(kTokens);
    parallel_for(kTokens, 4, [&](int i) {
        const auto r = run_command({"openssl", "ts", "-verify", "-queryfile", file("q", i), "-in",
                                    file("r", i), "-CAfile", (pki / "root-ca.pem").string(),
                                    "-untrusted", (pki / "issuing-ca.pem").string()});
        if (r.exit_code != 0 || r.output.find("Verification: OK") == std::string::npos)
            failures[static_cast<std::size_t>(i)] = r.output;
    });
    for (int i = 0; i < kTokens; ++i)
        BOOST_CHECK_MESSAGE(failures[static_cast<std::size_t>(i)].empty(),
                            "token " << i << ": " << failures[static_cast<std::size_t>(i)]);

    // Serials are distinct across both nodes, without the nodes ever coordinating.
    const std::set<std::string> distinct(serials.begin(), serials.end());
    BOOST_CHECK_EQUAL(distinct.size(), serials.size());

    // The database holds exactly one row per token, under the node (host:pid) that issued it.
    std::map<std::string, std::string> node_of;  // serial -> node
    signet::store::Database database({.dsn = dsn, .pool_size = 1});
    database.with_connection([&](signet::store::Connection& c) {
        const auto rows = c.exec("SELECT encode(serial, 'hex') AS serial, node FROM tsa_tokens");
        for (std::size_t i = 0; i < rows.size(); ++i)
            node_of[rows[i]["serial"].as<std::string>()] = rows[i]["node"].as<std::string>();
        BOOST_CHECK_EQUAL(rows.size(), static_cast<std::size_t>(kTokens));
    });
    for (int i = 0; i < kTokens; ++i) {
        const SignetdProcess& node = i % 2 == 0 ? a : b;
        const auto row = node_of.find(serials[static_cast<std::size_t>(i)]);
        BOOST_REQUIRE_MESSAGE(row != node_of.end(), "token " << i << " has no row");
        BOOST_CHECK_MESSAGE(
            row->second.ends_with(":" + std::to_string(node.pid())),
            "token " << i << " recorded by " << row->second << ", served by pid " << node.pid());
    }

    BOOST_CHECK_EQUAL(a.stop(), 0);
    BOOST_CHECK_EQUAL(b.stop(), 0);
}

BOOST_AUTO_TEST_SUITE_END()
