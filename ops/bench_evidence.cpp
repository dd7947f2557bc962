// signet-bench evidence: the tamper-evident log at size (docs/evidence.md). A throwaway embedded
// PostgreSQL (fsync on) gets --events events inserted straight in SQL — arbitrary distinct
// 32-byte leaf hashes, sha256(int8send(seq)), not canonical encodings: the tree reads leaf_hash
// only, and recomputing 10^7 canonical forms would measure the JSON encoder — with the gapless
// trigger off for that one INSERT. Then the tree's stored hashes are built (reported) and each
// scenario of the table below runs (the package scenario on a bed of its own:
// ops/bench_evidence_package.cpp; the log above is made only for the scenarios that use it).
// JSON lines (--json) as the other benches: bench, scenario, alg, threads, ops_per_s, ceiling,
// ratio, p50_ms, p99_ms.
#include "ops/bench_evidence.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "audit/checkpoints.hpp"
#include "ca/ceremony.hpp"
#include "common/error.hpp"
#include "ops/bench_evidence_package.hpp"
#include "sign/checkpoint_signing.hpp"
#include "store/certificates.hpp"
#include "store/embedded_postgres.hpp"
#include "store/migrations.hpp"
#include "store/tsa_tokens.hpp"
#include "tests/support/process.hpp"
#include "tests/support/softhsm.hpp"
#include "tsa/identity.hpp"
#include "tsa/journal.hpp"
#include "tsa/responder.hpp"
#include "tsa/serials.hpp"

namespace signet::bench {

const char* const kEvidenceUsage =
    R"(
usage: signet-bench evidence [--json] [--events N] [--proofs K] [--checkpoints C]
                             [--packages P] [--document-mib M] [--pdf-pages scans|text]
                             [--scenarios inclusion-proof,checkpoint,package]
  The tamper-evident log at N events (default 10000000): the time to build the stored subtree
  hashes, then per scenario the p50/p99 latency in ms and ops/s:
    inclusion-proof  K inclusion proofs (default 2000) of random events in the tree of N, through
                     the CheckpointReader (audit/checkpoints.hpp); the ceiling is two primary-key
                     reads of audit_events (a proof's two queries at their cheapest)
    checkpoint       C checkpoints (default 10) of the whole log, one new event before each:
                     drain, lock, extend, root, HSM signature (SoftHSM, ec-p256), time-stamp by
                     the TSA in process, insert; the ceiling is one SoftHSM signature and one
                     time-stamp's round trip
    package          P evidence packages (default 5) of a PDF contract of M MiB (default 100)
                     signed by two parties (PAdES B-LT each), its pages scanned images of noise
                     (incompressible, default) or text, built as signetd's route builds
                     them, into a sink that drops the bytes; on a bed of its own (the signing
                     bench's, with the evidence seal; the N events are not made for it). The
                     ceiling is the same revision read out of the document vault; peak_rss_mib
                     is a build's resident high-water mark above the RSS just before it (goal:
                     under 64 MiB whatever M)
)";

namespace {

using Clock_ = std::chrono::steady_clock;

struct Options {
    bool json = false;
    std::int64_t events = 10'000'000;
    int proofs = 2000;
    int checkpoints = 10;
    int packages = 5;
    std::int64_t document_mib = 100;
    bool scans = true;
    std::vector<std::string> scenarios{"inclusion-proof", "checkpoint", "package"};
};

struct Bed {
    testing::TempDir dir{"signet-bench-evidence"};
    std::unique_ptr<store::EmbeddedPostgres> postgres;
    std::unique_ptr<store::Database> database;
    SystemClock clock;
    std::unique_ptr<audit::PostgresAuditLog> audit;
    std::int64_t events = 0;
};

struct Latencies {
    double ops_per_s = 0;
    double p50_ms = 0;
    double p99_ms = 0;
};

Latencies timed(int count, const std::function<void(int)>& op) {
    std::vector<double> ms;
    const auto start = Clock_::now();
    for (int i = 0; i < count; ++i) {
        const auto t = Clock_::now();
        op(i);
        ms.push_back(std::chrono::duration<double, std::milli>(Clock_::now() - t).count());
    }
    const double seconds = std::chrono::duration<double>(Clock_::now() - start).count();
    std::sort(ms.begin(), ms.end());
    auto at = [&](double q) {
        return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ms.size())))];
    };
    return {count / seconds, at(0.50), at(0.99)};
}

void print(const Options& o, const std::string& scenario, const Latencies& l, double ceiling) {
    if (o.json) {
        std::cout << R"({"bench":"evidence","scenario":")" << scenario
                  << R"(","alg":"ec-p256","threads":1,"ops_per_s":)" << l.ops_per_s
                  << R"(,"ceiling":)" << ceiling << R"(,"ratio":)" << l.ops_per_s / ceiling
                  << R"(,"p50_ms":)" << l.p50_ms << R"(,"p99_ms":)" << l.p99_ms
                  << R"(,"events":)" << o.events << "}\n";
    } else {
        std::cout << scenario << ": " << l.ops_per_s << " ops/s (ceiling " << ceiling
                  << ", ratio " << l.ops_per_s / ceiling << "), p50 " << l.p50_ms << " ms, p99 "
                  << l.p99_ms << " ms at " << o.events << " events\n";
    }
}

void inclusion_proof(const Options& o, Bed& bed) {
    audit::PostgresCheckpoints reader(*bed.database);
    std::mt19937_64 random(14);
    const auto size = static_cast<std::uint64_t>(bed.events);
    auto seq = [&] { return static_cast<std::int64_t>(1 + random() % size); };
    const Latencies l = timed(o.proofs, [&](int) { (void)reader.inclusion(seq(), size); });
    const Latencies ceiling = timed(o.proofs, [&](int) {
        bed.database->with_connection([&](store::Connection& c) {
            for (int i = 0; i < 2; ++i)
                c.exec("SELECT leaf_hash FROM audit_events WHERE seq = $1", {seq()});
        });
    });
    print(o, "inclusion-proof", l, ceiling.ops_per_s);
}

void package(const Options& o, Bed&) {
    package_scenario({.json = o.json,
                      .document_mib = static_cast<std::size_t>(o.document_mib),
                      .scans = o.scans,
                      .packages = o.packages});
}

void checkpoint(const Options& o, Bed& bed) {
    auto token = testing::SoftHsm::instance().open_new_token("bench-evidence");
    store::PostgresCertificates certificates(*bed.database);
    policy::Ceremony c;
    c.file = bed.dir.path() / "ceremony.yaml";
    c.output_dir = bed.dir.path() / "ceremony";
    c.root.name = "root";
    c.root.subject = "CN=Bench Root,O=Signet,C=CN";
    c.root.validity_days = 3650;
    c.root.key = {"root", KeyType::ec_p256};
    policy::CeremonyCa issuing;
    issuing.name = "issuing";
    issuing.subject = "CN=Bench Issuing,O=Signet,C=CN";
    issuing.validity_days = 1825;
    issuing.path_length = 0;
    issuing.key = {"issuing", KeyType::ec_p256};
    c.issuing_cas.push_back(issuing);
    c.tsa = policy::CeremonyTsa{};
    c.tsa->subject = "CN=Bench TSA,O=Signet,C=CN";
    c.tsa->validity_days = 365;
    c.tsa->key = {"tsa", KeyType::ec_p256};
    c.tsa->issuer = "issuing";
    c.audit_checkpoint = policy::CeremonyAuditCheckpoint{};
    c.audit_checkpoint->subject = "CN=Bench Checkpoints,O=Signet,C=CN";
    c.audit_checkpoint->validity_days = 365;
    c.audit_checkpoint->key = {"audit-checkpoint", KeyType::ec_p256};
    c.audit_checkpoint->issuer = "issuing";
    ca::run_ceremony(c, {}, *token, *bed.database, certificates, *bed.audit, bed.clock, "bench");
    auto identity = tsa::load_signing_identity(certificates, *token, "tsa");
    if (!identity)
        throw Error(Errc::internal, "the bench's ceremony made no TSA");
    store::PostgresTsaTokens tokens(*bed.database);
    auto journal = std::make_shared<tsa::GroupCommitJournal>(*bed.database, tokens);
    // A bench machine's clock is often not synchronised; the TSA's health is not what is
    // measured here (as in bench_tsa).
    policy::TsaSettings tsa_settings;
    tsa_settings.allow_unsynchronized_clock = true;
    tsa::Responder responder(tsa::ResponderOptions{
        tsa_settings, std::move(*identity),
        std::shared_ptr<const Clock>(&bed.clock, [](const Clock*) {}),
        std::make_shared<tsa::RandomSerials>([token](std::size_t n) { return token->random(n); }),
        journal, "bench"});
    auto signing = sign::checkpoint_signing(certificates, *token, responder, "bench", "bench");
    audit::PostgresCheckpoints checkpoints(*bed.database, *bed.audit, bed.clock,
                                           std::move(*signing));
    checkpoints.checkpoint_now();  // the first extends nothing new: the tree was built
    const Latencies l = timed(o.checkpoints, [&](int i) {
        bed.audit->record({"bench.event", "system", "bench", {{"i", i}}});
        (void)checkpoints.checkpoint_now();
    });
    // The ceiling: what a checkpoint cannot do without, one HSM signature and one time-stamp.
    auto bare = sign::checkpoint_signing(certificates, *token, responder, "bench", "bench");
    const Latencies ceiling = timed(o.checkpoints, [&](int) {
        (void)bare->key->sign_digest(Digest::sha256, hsm::Padding::ecdsa, audit::Hash{});
    });
    const Latencies stamp =
        timed(o.checkpoints, [&](int) { (void)bare->time_stamper(audit::Hash{}); });
    print(o, "checkpoint", l, 1.0 / (1.0 / ceiling.ops_per_s + 1.0 / stamp.ops_per_s));
}

struct Scenario {
    std::string name;
    void (*run)(const Options&, Bed&);
    bool needs_log;  // runs on the log of --events events (made once, before the first)
};
// The scenarios, by name.
const std::vector<Scenario>& scenarios() {
    static const std::vector<Scenario> table{
        {"inclusion-proof", inclusion_proof, true},
        {"checkpoint", checkpoint, true},
        {"package", package, false},
    };
    return table;
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                throw Error(Errc::invalid_argument, arg + " needs a value");
            return argv[++i];
        };
        auto number = [&](std::int64_t min, std::int64_t max) {
            const std::string v = value();
            std::int64_t n = 0;
            try {
                n = std::stoll(v);
            } catch (const std::exception&) {
                n = min - 1;
            }
            if (n < min || n > max)
                throw Error(Errc::invalid_argument, arg + " must be from " + std::to_string(min) +
                                                        " to " + std::to_string(max));
            return n;
        };
        if (arg == "--json") {
            o.json = true;
        } else if (arg == "--events") {
            o.events = number(1, 1'000'000'000);
        } else if (arg == "--proofs") {
            o.proofs = static_cast<int>(number(1, 1'000'000));
        } else if (arg == "--checkpoints") {
            o.checkpoints = static_cast<int>(number(1, 10'000));
        } else if (arg == "--packages") {
            o.packages = static_cast<int>(number(1, 1000));
        } else if (arg == "--document-mib") {
            o.document_mib = number(1, 100);  // the contracts' default document limit
        } else if (arg == "--pdf-pages") {
            const std::string pages = value();
            if (pages != "scans" && pages != "text")
                throw Error(Errc::invalid_argument,
                            "--pdf-pages is scans or text, not '" + pages + "'");
            o.scans = pages == "scans";
        } else if (arg == "--scenarios") {
            o.scenarios.clear();
            std::string list = value();
            for (std::size_t at = 0; at <= list.size();) {
                const std::size_t comma = std::min(list.find(',', at), list.size());
                const std::string name = list.substr(at, comma - at);
                if (std::ranges::none_of(scenarios(), [&](auto& s) { return s.name == name; }))
                    throw Error(Errc::invalid_argument, "unknown scenario '" + name + "'");
                o.scenarios.push_back(name);
                at = comma + 1;
            }
        } else {
            throw Error(Errc::invalid_argument, "unknown option " + arg);
        }
    }
    return o;
}

// The log the log scenarios share: --events events inserted in SQL, the stored subtree hashes
// built (both timed and printed).
void make_log(const Options& o, Bed& bed) {
    std::filesystem::permissions(bed.dir.path(), std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
    bed.postgres = std::make_unique<store::EmbeddedPostgres>(
        store::EmbeddedPostgresOptions{.state_dir = bed.dir.path() / "state"});
    bed.database = std::make_unique<store::Database>(
        store::DatabaseOptions{.dsn = bed.postgres->dsn(), .pool_size = 8,
                               .statement_timeout = std::chrono::hours(1)});
    store::migrate(*bed.database);
    bed.audit = std::make_unique<audit::PostgresAuditLog>(*bed.database, bed.clock);
    const auto insert_start = Clock_::now();
    bed.database->with_connection([&](store::Connection& c) {
        c.exec("ALTER TABLE audit_events DISABLE TRIGGER audit_events_gapless");
        c.exec("INSERT INTO audit_events (seq, event_time, event_type, actor, object, details, "
               "leaf_hash) SELECT g, now(), 'bench.event', 'system', '', '{}', "
               "sha256(int8send(g)) FROM generate_series(1, $1::bigint) g",
               {o.events});
        c.exec("ALTER TABLE audit_events ENABLE TRIGGER audit_events_gapless");
        c.exec("ANALYZE audit_events");
    });
    const double insert_s = std::chrono::duration<double>(Clock_::now() - insert_start).count();
    bed.events = o.events;
    const auto build_start = Clock_::now();
    audit::TreeStore(*bed.database).extend();
    const double build_s = std::chrono::duration<double>(Clock_::now() - build_start).count();
    bed.database->with_connection([](store::Connection& c) { c.exec("ANALYZE audit_tree"); });
    if (o.json)
        std::cout << R"({"bench":"evidence","scenario":"tree-build","events":)" << o.events
                  << R"(,"insert_s":)" << insert_s << R"(,"build_s":)" << build_s << "}\n";
    else
        std::cout << "inserted " << o.events << " events in " << insert_s
                  << " s; stored subtree hashes built in " << build_s << " s\n";
}

}  // namespace

int bench_evidence(int argc, char** argv) {
    const Options o = parse(argc, argv);
    Bed bed;
    bool log_made = false;
    for (const auto& name : o.scenarios)
        for (const Scenario& scenario : scenarios())
            if (scenario.name == name) {
                if (scenario.needs_log && !log_made) {
                    make_log(o, bed);
                    log_made = true;
                }
                scenario.run(o, bed);
            }
    return 0;
}

}  // namespace signet::bench
