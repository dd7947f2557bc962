// signet-bench: Signet's own benchmark (ops/bench). Every figure is reported as a ratio to a
// ceiling measured in the same run: for the HSM, its highest raw C_Sign rate over thread counts.
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "audit/log.hpp"
#include "ca/authority.hpp"
#include "ca/ceremony.hpp"
#include "ca/csr.hpp"
#include "ca/lint.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/handle.hpp"
#include "common/secret.hpp"
#include "hsm/bridge.hpp"
#include "hsm/token.hpp"
#include "ops/bench_ocsp.hpp"
#include "ops/bench_evidence.hpp"
#include "ops/bench_csc.hpp"
#include "ops/bench_sign.hpp"
#include "ops/bench_support.hpp"
#include "ops/bench_tsa.hpp"
#include "store/embedded_postgres.hpp"
#include "store/migrations.hpp"
#include "tests/support/process.hpp"
#include "tests/support/softhsm.hpp"

namespace {

using namespace signet;
using namespace signet::hsm;
using Clock = std::chrono::steady_clock;
using signet::bench::find_private_key;
using signet::bench::measure;
using signet::bench::process_tree_cpu_seconds;
using signet::bench::raw_sign_worker;
using signet::bench::read_pid;
using signet::bench::thread_cpu_seconds;

const char* const kUsage =
    R"(usage: signet-bench hsm [--json] [--seconds S] [--rounds R] [--threads N,N,...] [--alg A]
                         [--module PATH --token LABEL --pin file:PATH|env:VAR]
       signet-bench issue [--json] [--seconds S] [--rounds R] [--threads N,N,...] [--alg A]
                          [--issue-threads N,N,...] [--scenarios S,S,...]

Scenarios of 'hsm', for ec-p256 and rsa-2048:
  ceiling   raw C_SignInit+C_Sign per second, one session per thread (the HSM's own rate)
  signer    signatures per second through hsm::Signer (session pool, DER encoding)
  bridge    EVP_DigestSign per second through the OpenSSL provider bridge
  user-key  unwrap + sign + destroy per second for a wrapped user key
Each row's ratio is to the best ceiling rate of the same algorithm over all thread counts.
Scenarios are measured interleaved in R rounds (default 3) of S/R seconds (S default 6) each,
and each keeps its best round.
Without --module, a throwaway SoftHSM token is created in a temporary directory.

Scenarios of 'issue' (the CA key's type: --alg, default ec-p256), end to end with a durable
PostgreSQL (the embedded cluster, fsync on) and the audit log:
  ceiling   raw C_Sign per second with a key of the CA's type (as for 'hsm')
  csr       certificates per second from PKCS#10 requests (EC P-256 subject keys): CSR checks,
            reservation, lint, HSM signature, storage, audit event
  hsm-key   certificates per second with a subject key the HSM generates and wraps
The issuance scenarios run at the --threads counts and also at --issue-threads (16,64,256):
issuance waits for commits, and its group commit needs concurrent callers to share them, as a
server's concurrent requests do. The ceiling runs at --threads only (more threads than cores do
not sign faster). --scenarios limits the run (e.g. csr, for a profile); the ceiling always runs.
  steps     (after the table) the CPU of each step of a CSR issuance outside the database, one
            by one on one thread, against the CPU of one raw C_Sign
Each row also gives the CPU time per operation (cpu_us) of this process plus, for 'issue', its
PostgreSQL server's processes (db_us, their share): what one operation costs the machine,
whatever else runs on it.
)";

struct Options {
    bool json = false;
    double seconds = 6.0;  // per scenario and thread count, split over the rounds
    int rounds = 3;
    std::vector<int> threads;
    std::vector<int> issue_threads{16, 64, 256};
    std::vector<std::string> scenarios;  // empty: all
    std::vector<KeyType> algs{KeyType::ec_p256, KeyType::rsa_2048};
    std::optional<TokenConfig> token;
};

struct Row {
    std::string scenario;
    std::string alg;
    int threads;
    double ops_per_s;
    double cpu_us_per_op = 0;  // 0: not measured
    double db_us_per_op = 0;   // of which the database server's
};

Padding default_padding(KeyType type) {
    return is_ec(type) ? Padding::ecdsa : Padding::pkcs1;
}

std::function<std::function<void()>()> signer_worker(const Signer& signer) {
    return [&signer] {
        auto digest = std::make_shared<Bytes>(32);
        RAND_bytes(digest->data(), 32);
        return std::function<void()>([&signer, digest] {
            (void)signer.sign_digest(Digest::sha256, default_padding(signer.key_type()), *digest);
        });
    };
}

std::function<std::function<void()>()> bridge_worker(EVP_PKEY* key) {
    return [key] {
        auto message = std::make_shared<Bytes>(256);
        RAND_bytes(message->data(), static_cast<int>(message->size()));
        auto signature = std::make_shared<Bytes>(1024);
        return std::function<void()>([key, message, signature] {
            EvpMdCtxPtr ctx(EVP_MD_CTX_new());
            std::size_t size = signature->size();
            if (!ctx ||
                EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key,
                                      nullptr) <= 0 ||
                EVP_DigestSign(ctx.get(), signature->data(), &size, message->data(),
                               message->size()) <= 0) {
                throw_openssl_error("EVP_DigestSign through the bridge");
            }
        });
    };
}

std::vector<int> default_thread_counts() {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::vector<int> counts{1, cores, 2 * cores, 4 * cores};
    std::ranges::sort(counts);
    counts.erase(std::unique(counts.begin(), counts.end()), counts.end());
    return counts;
}

std::vector<int> parse_thread_counts(const std::string& list) {
    std::vector<int> counts;
    std::stringstream in(list);
    std::string item;
    while (std::getline(in, item, ',')) {
        const int n = std::atoi(item.c_str());
        if (n < 1 || n > 256)
            throw Error(Errc::invalid_argument, "thread count '" + item + "' is not 1..256");
        counts.push_back(n);
    }
    if (counts.empty())
        throw Error(Errc::invalid_argument, "--threads needs a list like 1,2,4");
    return counts;
}

Options parse_options(int argc, char** argv) {
    Options options;
    options.threads = default_thread_counts();
    std::string module, token_label, pin;
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                throw Error(Errc::invalid_argument, arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--json")
            options.json = true;
        else if (arg == "--seconds") {
            options.seconds = std::atof(value().c_str());
            if (!(options.seconds > 0 && options.seconds <= 600)) {
                throw Error(Errc::invalid_argument, "--seconds must be in (0, 600]");
            }
        } else if (arg == "--threads")
            options.threads = parse_thread_counts(value());
        else if (arg == "--issue-threads")
            options.issue_threads = parse_thread_counts(value());
        else if (arg == "--scenarios") {
            std::stringstream in(value());
            std::string item;
            while (std::getline(in, item, ','))
                options.scenarios.push_back(item);
        } else if (arg == "--rounds") {
            options.rounds = std::atoi(value().c_str());
            if (options.rounds < 1 || options.rounds > 20)
                throw Error(Errc::invalid_argument, "--rounds must be 1..20");
        } else if (arg == "--alg")
            options.algs = {parse_key_type(value())};
        else if (arg == "--module")
            module = value();
        else if (arg == "--token")
            token_label = value();
        else if (arg == "--pin")
            pin = value();
        else
            throw Error(Errc::invalid_argument, "unknown option " + arg);
    }
    if (!module.empty()) {
        if (token_label.empty() || pin.empty()) {
            throw Error(Errc::invalid_argument, "--module needs --token and --pin too");
        }
        TokenConfig config;
        config.module_path = module;
        config.token_label = token_label;
        config.pin = SecretSource::parse(pin);
        options.token = config;
    }
    return options;
}

void print(const char* bench, const std::vector<Row>& rows,
           const std::map<std::string, double>& ceiling, bool json) {
    const auto ceiling_of = [&](const Row& row) {
        const auto it = ceiling.find(row.alg);
        return it == ceiling.end() ? 0.0 : it->second;
    };
    if (json) {
        for (const auto& row : rows) {
            const double c = ceiling_of(row);
            std::printf(
                "{\"bench\":\"%s\",\"scenario\":\"%s\",\"alg\":\"%s\",\"threads\":%d,"
                "\"ops_per_s\":%.1f,\"ceiling_ops_per_s\":%.1f,\"ratio\":%.3f,"
                "\"cpu_us_per_op\":%.1f,\"db_us_per_op\":%.1f}\n",
                bench, row.scenario.c_str(), row.alg.c_str(), row.threads, row.ops_per_s, c,
                c > 0 ? row.ops_per_s / c : 0.0, row.cpu_us_per_op, row.db_us_per_op);
        }
        return;
    }
    const auto line = [&](const Row& row) {
        const double c = ceiling_of(row);
        std::printf("%-10s %-9s %7d %12.1f %12.1f %7.3f", row.scenario.c_str(), row.alg.c_str(),
                    row.threads, row.ops_per_s, c, c > 0 ? row.ops_per_s / c : 0.0);
        if (row.cpu_us_per_op > 0)
            std::printf(" %9.1f %9.1f", row.cpu_us_per_op, row.db_us_per_op);
        std::printf("\n");
    };
    const bool with_cpu =
        std::ranges::any_of(rows, [](const Row& row) { return row.cpu_us_per_op > 0; });
    std::printf("%-10s %-9s %7s %12s %12s %7s", "scenario", "alg", "threads", "ops/s", "ceiling",
                "ratio");
    std::printf(with_cpu ? " %9s %9s\n" : "\n", "cpu_us", "db_us");
    for (const auto& row : rows)
        line(row);
    // Each scenario at its best thread count, against the ceiling at its best.
    std::map<std::pair<std::string, std::string>, const Row*> best;
    for (const auto& row : rows) {
        const Row*& b = best[{row.alg, row.scenario}];
        if (b == nullptr || row.ops_per_s > b->ops_per_s)
            b = &row;
    }
    std::printf("\nbest over thread counts:\n");
    for (const auto& [key, row] : best)
        line(*row);
}

int bench_hsm(const Options& options) {
    // Pool sized for the largest thread count, so the pool is not what is measured.
    const int max_threads = *std::ranges::max_element(options.threads);
    TokenConfig config =
        options.token ? *options.token : signet::testing::SoftHsm::instance().new_token("bench");
    config.pool_size = static_cast<std::size_t>(max_threads);
    auto token = Token::open(config);
    const std::string suffix = "-" + to_hex(token->random(4));
    if (!token->has_kek("bench-kek" + suffix))
        token->generate_kek("bench-kek" + suffix);

    std::vector<Row> rows;
    std::map<std::string, double> ceiling;
    for (KeyType type : options.algs) {
        const std::string alg(to_string(type));
        const std::string label = "bench-" + alg + suffix;
        auto signer = token->generate_key(type, label);
        const CK_OBJECT_HANDLE key = find_private_key(*token, label);
        EvpPkeyPtr bridged = bridge_key(signer);
        auto user_signer = token->wrapped_signer(
            token->generate_wrapped_key(type, "bench-kek" + suffix), "bench-kek" + suffix);
        // Every scenario is measured in several rounds, interleaved, and each keeps its best
        // round: slow drift of the machine then lowers no scenario more than another, and the
        // ceiling is the best its measurement can do.
        using Scenario = std::pair<std::string, std::function<std::function<void()>()>>;
        std::vector<Scenario> scenarios;
        std::map<std::pair<std::string, int>, double> best;
        for (int round = 0; round < options.rounds; ++round) {
            for (int threads : options.threads) {
                const double per_round = options.seconds / options.rounds;
                auto keep = [&](const std::string& scenario, double rate) {
                    double& b = best[{scenario, threads}];
                    b = std::max(b, rate);
                };
                keep("ceiling", measure(threads, per_round, raw_sign_worker(*token, key, type)));
                keep("signer", measure(threads, per_round, signer_worker(*signer)));
                keep("bridge", measure(threads, per_round, bridge_worker(bridged.get())));
                keep("user-key", measure(threads, per_round, signer_worker(*user_signer)));
            }
        }
        for (const std::string scenario : {"ceiling", "signer", "bridge", "user-key"}) {
            for (int threads : options.threads) {
                const double rate = best[{scenario, threads}];
                rows.push_back({scenario, alg, threads, rate});
                if (scenario == "ceiling")
                    ceiling[alg] = std::max(ceiling[alg], rate);
            }
        }
    }
    print("hsm", rows, ceiling, options.json);
    return 0;
}

// A CSR for a fresh EC P-256 key, as a client would send it (DER).
Bytes make_csr() {
    EvpPkeyPtr key(EVP_EC_gen("P-256"));
    X509ReqPtr req(X509_REQ_new());
    if (!key || !req || X509_REQ_set_pubkey(req.get(), key.get()) != 1 ||
        X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0)
        throw_openssl_error("cannot make a benchmark CSR");
    unsigned char* der = nullptr;
    const int size = i2d_X509_REQ(req.get(), &der);
    if (size <= 0)
        throw_openssl_error("cannot encode a benchmark CSR");
    Bytes out(der, der + size);
    OPENSSL_free(der);
    return out;
}

// Microseconds of CPU per call of `step`, on one thread, after a warm-up.
double cpu_us_per_call(const std::function<void()>& step, int calls) {
    for (int i = 0; i < calls / 10 + 1; ++i)
        step();
    const double from = thread_cpu_seconds();
    for (int i = 0; i < calls; ++i)
        step();
    return (thread_cpu_seconds() - from) * 1e6 / calls;
}

struct Step {
    std::string name;
    double cpu_us;
};

// The CPU each step of one CSR issuance costs outside the database, measured one by one on one
// thread with the bench's own CA, profile and CSRs (so no lock contention between threads is
// in them): which steps a certificate cannot do without, against the ceiling's CPU per C_Sign.
std::vector<Step> measure_steps(Token& token, store::CertificateRepository& certificates,
                                const std::vector<Bytes>& csrs,
                                const policy::CertificateProfile& profile,
                                CK_OBJECT_HANDLE ceiling_key, KeyType ca_type) {
    constexpr int kCalls = 400;
    const auto ca = certificates.find_ca(profile.issuer);
    if (!ca)
        throw Error(Errc::internal, "the bench CA is missing");
    const X509Ptr issuer = ca::certificate_from_der(ca->certificate);
    const EvpPkeyPtr issuer_key = bridge_key(token.find_key(ca->key_label));
    auto parsed = ca::parse_certificate_request(csrs.front(), profile.key_types);
    ca::CertificateTemplate tmpl;
    tmpl.serial = ca::make_serial([&](std::size_t n) { return token.random(n); });
    tmpl.subject = {{"C", "CN"}, {"CN", "Bench Person"}};
    tmpl.not_before =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    tmpl.not_after = tmpl.not_before + std::chrono::days(profile.validity_days);
    tmpl.key_usage = profile.key_usage;
    tmpl.extended_key_usage = profile.extended_key_usage;
    tmpl.certificate_policies = profile.certificate_policies;
    tmpl.ocsp_url = profile.ocsp_url;
    tmpl.crl_distribution_point = profile.crl_distribution_point;
    auto unsigned_certificate = [&] {
        auto cert = ca::build_certificate(tmpl, parsed.public_key_info, issuer.get());
        ca::set_signature_algorithm(cert.get(), ca_type);
        return cert;
    };
    const auto linted = unsigned_certificate();
    auto signed_certificate = unsigned_certificate();
    ca::sign_certificate(signed_certificate.get(), issuer_key.get());
    const Bytes der = ca::certificate_der(signed_certificate.get());

    std::vector<Step> steps;
    auto raw_sign = raw_sign_worker(token, ceiling_key, ca_type)();
    steps.push_back({"raw C_Sign (the ceiling's operation)", cpu_us_per_call(raw_sign, kCalls)});
    steps.push_back(
        {"CSR: parse (key built from its DER), verify",
         cpu_us_per_call(
             [&] { (void)ca::parse_certificate_request(csrs.front(), profile.key_types); },
             kCalls)});
    {
        // The proof of possession alone, on a request whose key is already decoded.
        const unsigned char* p = csrs.front().data();
        X509ReqPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(csrs.front().size())));
        EVP_PKEY* key = req ? X509_REQ_get0_pubkey(req.get()) : nullptr;
        if (key == nullptr)
            throw_openssl_error("cannot read the benchmark CSR");
        const auto verify = [&] {
            if (X509_REQ_verify(req.get(), key) != 1)
                throw_openssl_error("cannot verify the benchmark CSR");
        };
        steps.push_back({"  of which: verify its signature", cpu_us_per_call(verify, kCalls)});
    }
    steps.push_back(
        {"build the TBS (key copied, not decoded)",
         cpu_us_per_call([&] { (void)ca::tbs_der(unsigned_certificate().get()); }, kCalls)});
    steps.push_back(
        {"lint (DER read back, key built from it)",
         cpu_us_per_call([&] { (void)ca::lint_certificate(linted.get(), issuer.get(), tmpl); },
                         kCalls)});
    steps.push_back(
        {"HSM signature through the bridge",
         cpu_us_per_call([&] { ca::sign_certificate(signed_certificate.get(), issuer_key.get()); },
                         kCalls)});
    steps.push_back({"read the signed DER back (decodes the key)",
                     cpu_us_per_call([&] { (void)ca::certificate_from_der(der); }, kCalls)});
    return steps;
}

void print_steps(const std::vector<Step>& steps, bool json) {
    const double per_signature = steps.front().cpu_us;
    if (json) {
        for (const auto& step : steps)
            std::printf("{\"bench\":\"issue-steps\",\"step\":\"%s\",\"cpu_us\":%.1f}\n",
                        step.name.c_str(), step.cpu_us);
        return;
    }
    std::printf("\nCPU per step of one CSR issuance, outside the database (one thread):\n");
    std::printf("%-45s %9s %12s\n", "step", "cpu_us", "x C_Sign");
    for (const auto& step : steps)
        std::printf("%-45s %9.1f %12.2f\n", step.name.c_str(), step.cpu_us,
                    step.cpu_us / per_signature);
}

int bench_issue(Options options) {
    if (options.algs.size() != 1)
        options.algs = {KeyType::ec_p256};
    const KeyType ca_type = options.algs.front();
    const std::string alg(to_string(ca_type));
    const int max_threads = std::max(
        *std::ranges::max_element(options.threads),
        options.issue_threads.empty() ? 0 : *std::ranges::max_element(options.issue_threads));

    TokenConfig config = signet::testing::SoftHsm::instance().new_token("bench-issue");
    config.pool_size = static_cast<std::size_t>(max_threads) + 2;
    auto token = Token::open(config);
    signet::testing::TempDir dir("signet-bench-issue");
    std::filesystem::permissions(dir.path(), std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
    // Durable: fsync and synchronous commit as in production, so the figure includes them.
    store::EmbeddedPostgres postgres({.state_dir = dir.path() / "state"});
    // Issuing threads hold a connection only for their subject lookup; the group commit's
    // writers and the audit drainer hold theirs for a batch.
    store::Database database(
        {.dsn = postgres.dsn(), .pool_size = std::min<std::size_t>(max_threads + 4, 24)});
    store::migrate(database);
    SystemClock clock;
    audit::PostgresAuditLog audit(database, clock);
    store::PostgresCertificates certificates(database);
    store::PostgresSubjects subjects(database);

    policy::Ceremony ceremony;
    ceremony.file = dir.path() / "ceremony.yaml";
    ceremony.output_dir = dir.path() / "ceremony";
    ceremony.root = {};
    ceremony.root.name = "bench-root";
    ceremony.root.subject = "CN=Bench Root,O=Signet,C=CN";
    ceremony.root.validity_days = 3650;
    ceremony.root.key = {"bench-root", ca_type};
    policy::CeremonyCa issuing;
    issuing.name = "bench-issuing";
    issuing.subject = "CN=Bench Issuing CA,O=Signet,C=CN";
    issuing.validity_days = 1825;
    issuing.path_length = 0;
    issuing.key = {"bench-issuing", ca_type};
    ceremony.issuing_cas.push_back(issuing);
    ca::run_ceremony(ceremony, {}, *token, database, certificates, audit, clock, "bench");
    token->generate_kek("user-kek");

    policy::CaSettings settings;
    policy::CertificateProfile profile;
    profile.issuer = "bench-issuing";
    profile.key_types = {KeyType::ec_p256};
    profile.validity_days = 365;
    profile.key_usage = {"digitalSignature", "nonRepudiation"};
    profile.extended_key_usage = {"1.3.6.1.5.5.7.3.36"};
    profile.certificate_policies = {"1.3.6.1.4.1.99999.2.1"};
    profile.subject_template = "CN={name},C={country}";
    profile.ocsp_url = "http://127.0.0.1:8080/ocsp";
    profile.crl_distribution_point = "http://127.0.0.1:8080/crl/bench-issuing.crl";
    settings.profiles.emplace("bench", profile);
    ca::Authority authority({token, database, certificates, subjects, audit, clock, settings});
    const std::int64_t subject = database.transaction([&](store::Connection& tx) {
        return subjects.add(tx, {0, "person", "Bench Person", "", "CN", "", 3, clock.now()});
    });
    // Clients make their CSRs; the benchmark makes a pool once so their cost is not counted.
    std::vector<Bytes> csrs;
    for (int i = 0; i < 64; ++i)
        csrs.push_back(make_csr());

    token->generate_key(ca_type, "bench-ceiling");
    const CK_OBJECT_HANDLE ceiling_key = find_private_key(*token, "bench-ceiling");
    auto csr_worker = [&] {
        auto next = std::make_shared<std::size_t>(static_cast<std::size_t>(std::rand()));
        return std::function<void()>([&, next] {
            ca::IssueRequest request;
            request.subject_id = subject;
            request.profile = "bench";
            request.csr = csrs[(*next)++ % csrs.size()];
            request.actor = "bench";
            (void)authority.issue(request);
        });
    };
    auto hsm_key_worker = [&] {
        return std::function<void()>([&] {
            (void)authority.issue({subject, "bench", std::nullopt, KeyType::ec_p256, "bench"});
        });
    };

    // The audit outbox drained as signetd does, in the same process, so its cost is counted.
    std::jthread drainer([&audit](std::stop_token stop) {
        while (!stop.stop_requested()) {
            if (audit.drain(1000) < 1000)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
    // What one operation costs the machine: this process and the PostgreSQL server's processes
    // (the postmaster's children: backends, WAL writer...), whose work issuance causes.
    const auto postmaster = read_pid(postgres.data_dir() / "postmaster.pid");
    std::vector<double> db_readings;  // the server's share, read at the same moments
    const auto cpu_seconds = [&] {
        db_readings.push_back(process_tree_cpu_seconds(postmaster));
        return signet::bench::process_cpu_seconds() + db_readings.back();
    };
    const auto wanted = [&](const std::string& scenario) {
        return options.scenarios.empty() ||
               std::ranges::find(options.scenarios, scenario) != options.scenarios.end();
    };
    std::vector<int> issue_threads = options.threads;
    issue_threads.insert(issue_threads.end(), options.issue_threads.begin(),
                         options.issue_threads.end());
    std::ranges::sort(issue_threads);
    issue_threads.erase(std::unique(issue_threads.begin(), issue_threads.end()),
                        issue_threads.end());

    struct Best {
        double rate = 0;
        double cpu_us = 0;
        double db_us = 0;
    };
    std::map<std::pair<std::string, int>, Best> best;
    const double per_round = options.seconds / options.rounds;
    auto run = [&](const std::string& scenario, int threads,
                   const std::function<std::function<void()>()>& worker) {
        double cpu_per_op = 0;
        db_readings.clear();
        const double rate = measure(threads, per_round, worker, &cpu_per_op, cpu_seconds);
        const double ops = rate * per_round;
        const double db_per_op =
            db_readings.size() == 2 && ops > 0 ? (db_readings[1] - db_readings[0]) / ops : 0;
        Best& b = best[{scenario, threads}];
        if (rate > b.rate)
            b = {rate, cpu_per_op * 1e6, db_per_op * 1e6};
    };
    for (int round = 0; round < options.rounds; ++round) {
        for (int threads : issue_threads) {
            if (std::ranges::find(options.threads, threads) != options.threads.end())
                run("ceiling", threads, raw_sign_worker(*token, ceiling_key, ca_type));
            if (wanted("csr"))
                run("csr", threads, csr_worker);
            if (wanted("hsm-key"))
                run("hsm-key", threads, hsm_key_worker);
        }
    }
    std::vector<Row> rows;
    std::map<std::string, double> ceiling;
    for (const auto& [key, b] : best) {
        if (key.first == "ceiling")
            ceiling[alg] = std::max(ceiling[alg], b.rate);
    }
    for (const std::string scenario : {"ceiling", "csr", "hsm-key"}) {
        for (int threads : issue_threads) {
            const auto it = best.find({scenario, threads});
            if (it != best.end())
                rows.push_back(
                    {scenario, alg, threads, it->second.rate, it->second.cpu_us, it->second.db_us});
        }
    }
    print("issue", rows, ceiling, options.json);
    if (wanted("steps"))
        print_steps(measure_steps(*token, certificates, csrs, profile, ceiling_key, ca_type),
                    options.json);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
        std::cout << kUsage << signet::bench::kTsaUsage << signet::bench::kOcspUsage
                  << signet::bench::kSignUsage << signet::bench::kEvidenceUsage
                  << signet::bench::kCscUsage;
        return argc < 2 ? 2 : 0;
    }
    // As signetd does: OpenSSL's private keys (and SoftHSM's, in-process) in the secure heap.
    signet::init_secure_heap();
    try {
        const std::string what = argv[1];
        if (what == "hsm")
            return bench_hsm(parse_options(argc, argv));
        if (what == "issue")
            return bench_issue(parse_options(argc, argv));
        if (what == "tsa")
            return signet::bench::bench_tsa(argc, argv);
        if (what == "ocsp-presign")
            return signet::bench::bench_ocsp_presign(argc, argv);
        if (what == "sign")
            return signet::bench::bench_sign(argc, argv);
        if (what == "evidence")
            return signet::bench::bench_evidence(argc, argv);
        if (what == "csc")
            return signet::bench::bench_csc(argc, argv);
        throw Error(
            Errc::invalid_argument,
            "unknown benchmark '" + what +
                "' (this build has: hsm, issue, tsa, ocsp-presign, sign, evidence, csc)");
    } catch (const Error& e) {
        std::cerr << "signet-bench: " << e.what() << "\n";
        return e.code() == Errc::invalid_argument ? 2 : 1;
    }
}
