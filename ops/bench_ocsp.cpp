#include "ops/bench_ocsp.hpp"

#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "common/error.hpp"
#include "hsm/bridge.hpp"
#include "hsm/token.hpp"
#include "ocsp/refresher.hpp"
#include "ops/bench_support.hpp"
#include "store/embedded_postgres.hpp"
#include "store/migrations.hpp"
#include "tests/ocsp/test_signer.hpp"
#include "tests/support/process.hpp"
#include "tests/support/softhsm.hpp"

namespace signet::bench {

const char* const kOcspUsage =
    R"(
       signet-bench ocsp-presign [--json] [--certificates N] [--threads T] [--seconds S]
  N issued certificate rows (default 1000000) go straight into a durable embedded PostgreSQL;
  then the Refresher pre-signs every one in both CertID hashes (SHA-1, SHA-256) with an HSM
  ECDSA P-256 key (SoftHSM, through the OpenSSL bridge) on T threads (default: the cores) and
  stores them; the ceiling is the raw C_Sign rate at T threads, measured for S seconds (default
  3) in the same run. Then a fresh cache is loaded from the database: the resident memory it
  adds, beyond the response bytes, per certificate (malloc_trim before each reading).
  Rows: presign (responses/s, ratio to the ceiling, seconds), memory (bytes per certificate).
)";

namespace {

using SteadyClock = std::chrono::steady_clock;

struct Options {
    bool json = false;
    int certificates = 1'000'000;
    int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    double seconds = 3;
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                throw Error(Errc::invalid_argument, arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--json") {
            o.json = true;
        } else if (arg == "--certificates") {
            o.certificates = std::atoi(value().c_str());
            if (o.certificates < 1 || o.certificates > 10'000'000)
                throw Error(Errc::invalid_argument, "--certificates must be 1..10000000");
        } else if (arg == "--threads") {
            o.threads = std::atoi(value().c_str());
            if (o.threads < 1 || o.threads > 256)
                throw Error(Errc::invalid_argument, "--threads must be 1..256");
        } else if (arg == "--seconds") {
            o.seconds = std::atof(value().c_str());
            if (!(o.seconds > 0 && o.seconds <= 600))
                throw Error(Errc::invalid_argument, "--seconds must be in (0, 600]");
        } else {
            throw Error(Errc::invalid_argument, "unknown option " + arg);
        }
    }
    return o;
}

// Resident bytes of this process (/proc/self/statm), after returning free heap to the system.
std::size_t resident_bytes() {
    malloc_trim(0);
    std::ifstream statm("/proc/self/statm");
    std::size_t pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

double seconds_since(SteadyClock::time_point start) {
    return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

}  // namespace

int bench_ocsp_presign(int argc, char** argv) {
    const Options options = parse(argc, argv);
    hsm::TokenConfig config = testing::SoftHsm::instance().new_token("bench-ocsp");
    config.pool_size = static_cast<std::size_t>(options.threads) + 2;
    auto token = hsm::Token::open(config);
    const std::string label = "bench-ocsp-responder";
    auto signer = token->generate_key(hsm::KeyType::ec_p256, label);
    const CK_OBJECT_HANDLE key = find_private_key(*token, label);

    testing::TempDir dir("signet-bench-ocsp");
    std::filesystem::permissions(dir.path(), std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
    // Durable: fsync and synchronous commit as in production.
    store::EmbeddedPostgres postgres({.state_dir = dir.path() / "state"});
    store::Database database({.dsn = postgres.dsn(), .pool_size = 4});
    store::migrate(database);

    // The certificate rows, in statements of 100,000 (the trigger queues each).
    auto start = SteadyClock::now();
    for (int done = 0; done < options.certificates;) {
        const int n = std::min(100'000, options.certificates - done);
        testing::insert_issued(database, n);
        done += n;
    }
    const double insert_seconds = seconds_since(start);

    const double ceiling = measure(options.threads, options.seconds,
                                   raw_sign_worker(*token, key, hsm::KeyType::ec_p256));

    // The CA signs its own responses here (one HSM key, the same signature as a delegated
    // responder's: ECDSA P-256 with SHA-256 over the ResponseData).
    testing::TestSigner response_signer(std::chrono::hours(24), hsm::bridge_key(signer));
    SystemClock clock;
    store::PostgresCertificates certificates(database);
    store::PostgresOcspResponses responses(database);
    std::size_t signed_responses = 0;
    double presign_seconds = 0;
    {
        ocsp::PresignedCache cache;
        policy::OcspSettings settings;
        settings.response_validity = std::chrono::hours(24);
        ocsp::Refresher refresher({certificates, responses, cache, response_signer, clock, settings,
                                   nullptr, static_cast<unsigned>(options.threads)});
        start = SteadyClock::now();
        for (;;) {
            const std::size_t n = refresher.refresh_once(2000);
            if (n == 0)
                break;
            signed_responses += n;
        }
        presign_seconds = seconds_since(start);
    }
    const double presign_rate = static_cast<double>(signed_responses) / presign_seconds;

    // Memory: a fresh cache, loaded as a node loads it at start.
    std::size_t cache_bytes = 0, cache_certificates = 0, estimate = 0;
    double load_seconds = 0;
    std::size_t before = 0, after = 0;
    {
        ocsp::PresignedCache cache;
        ocsp::Refresher loader({certificates, responses, cache, response_signer, clock, {}});
        before = resident_bytes();
        start = SteadyClock::now();
        loader.load();
        load_seconds = seconds_since(start);
        after = resident_bytes();
        cache_bytes = cache.bytes();
        cache_certificates = cache.certificates();
        estimate = cache.overhead_bytes();
    }
    const double beyond = cache_certificates == 0
                              ? 0
                              : (static_cast<double>(after) - static_cast<double>(before) -
                                 static_cast<double>(cache_bytes)) /
                                    static_cast<double>(cache_certificates);
    const double estimate_per =
        cache_certificates == 0
            ? 0
            : static_cast<double>(estimate) / static_cast<double>(cache_certificates);
    if (options.json) {
        std::printf(
            "{\"bench\":\"ocsp-presign\",\"scenario\":\"ceiling\",\"alg\":\"ec-p256\","
            "\"threads\":%d,\"ops_per_s\":%.1f,\"ceiling_ops_per_s\":%.1f,\"ratio\":1.000}\n",
            options.threads, ceiling, ceiling);
        std::printf(
            "{\"bench\":\"ocsp-presign\",\"scenario\":\"presign\",\"alg\":\"ec-p256\","
            "\"threads\":%d,\"ops_per_s\":%.1f,\"ceiling_ops_per_s\":%.1f,\"ratio\":%.3f,"
            "\"certificates\":%d,\"responses\":%zu,\"seconds\":%.1f,\"insert_seconds\":%.1f}\n",
            options.threads, presign_rate, ceiling, presign_rate / ceiling, options.certificates,
            signed_responses, presign_seconds, insert_seconds);
        std::printf(
            "{\"bench\":\"ocsp-presign\",\"scenario\":\"memory\",\"certificates\":%zu,"
            "\"response_bytes\":%zu,\"rss_delta_bytes\":%zu,\"bytes_per_certificate_beyond_der\":"
            "%.1f,\"estimated_bytes_per_certificate\":%.1f,\"load_seconds\":%.2f}\n",
            cache_certificates, cache_bytes, after - before, beyond, estimate_per, load_seconds);
        return 0;
    }
    std::printf("certificates:        %d (rows inserted in %.1f s)\n", options.certificates,
                insert_seconds);
    std::printf("ceiling:             %.1f raw C_Sign/s (ec-p256, %d threads)\n", ceiling,
                options.threads);
    std::printf("pre-signed:          %zu responses in %.1f s = %.1f/s, %.3f of the ceiling\n",
                signed_responses, presign_seconds, presign_rate, presign_rate / ceiling);
    std::printf("loaded:              %zu certificates, %zu response bytes, in %.2f s\n",
                cache_certificates, cache_bytes, load_seconds);
    std::printf("memory beyond DER:   %.1f bytes per certificate (RSS %+.1f MB; estimate %.1f)\n",
                beyond, (static_cast<double>(after) - static_cast<double>(before)) / 1e6,
                estimate_per);
    return 0;
}

}  // namespace signet::bench
