// `signet-bench sign`: contract signatures per second against what the HSM and the TSA allow
// (issue 13's benchmark), and the peak memory of signing a 100 MiB PDF.
#include "ops/bench_sign.hpp"

#include <malloc.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/error.hpp"
#include "ops/bench_sign_bed.hpp"
#include "ops/bench_support.hpp"
#include "sign/tsa_time_stamper.hpp"

namespace signet::bench {

const char* const kSignUsage = R"(
       signet-bench sign [--json] [--seconds S] [--threads N,N,...] [--signatures N]
                         [--scenarios pades,cades,rss] [--rss-mib M]

Scenarios of 'sign' (ec-p256 person keys; a 1 MiB document), end to end with a durable
PostgreSQL (the embedded cluster, fsync on), the audit log, our TSA and the vault:
  user-key  unwrap + sign + destroy per second of a person's wrapped key (as 'hsm' measures it)
  tsa       time-stamp tokens per second from the TSA in process (durable journal)
  ceiling   1 / (1/user-key + 1/tsa), each at its best thread count: what the HSM and the TSA
            alone allow for a signature that needs one of each
  pades     completed signatures per second: an SMS code issued and checked (HSM HMAC), the
            contract's current PDF read from the vault, PAdES B-LT (signature, time-stamp, DSS
            with pre-signed OCSP responses and the root's CRL), the new revision encrypted into
            the vault and recorded with its time-stamped event, one transaction
  cades     the same for 1 MiB of bytes: a detached CAdES B-LT signature
  rss       the process's peak RSS while signer 1 signs a --rss-mib (100) MiB PDF, above its RSS
            before (ratio: that increase over the document's size; the goal is under 2)
Each signing row: N (--signatures, 40) contracts made and sent first (not timed), then signed by
T threads; ops/s = N / elapsed, p50/p99 of one signature's latency. ratio = ops/s / ceiling.
)";

namespace {

struct SignBenchOptions {
    bool json = false;
    double seconds = 6.0;
    std::vector<int> threads;
    int signatures = 40;
    std::vector<std::string> scenarios{"pades", "cades", "rss"};
    std::size_t rss_mib = 100;
};

SignBenchOptions parse(int argc, char** argv) {
    SignBenchOptions o;
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    o.threads = {1, cores, 2 * cores};
    std::ranges::sort(o.threads);
    o.threads.erase(std::unique(o.threads.begin(), o.threads.end()), o.threads.end());
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                throw Error(Errc::invalid_argument, arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--json") {
            o.json = true;
        } else if (arg == "--seconds") {
            o.seconds = std::atof(value().c_str());
            if (!(o.seconds > 0 && o.seconds <= 600))
                throw Error(Errc::invalid_argument, "--seconds must be in (0, 600]");
        } else if (arg == "--threads") {
            o.threads = parse_list(arg, value(), 64);
        } else if (arg == "--signatures") {
            o.signatures = std::atoi(value().c_str());
            if (o.signatures < 2 || o.signatures > 10'000)
                throw Error(Errc::invalid_argument, "--signatures must be 2..10000");
        } else if (arg == "--scenarios") {
            o.scenarios.clear();
            std::stringstream in(value());
            for (std::string item; std::getline(in, item, ',');) {
                if (item != "pades" && item != "cades" && item != "rss")
                    throw Error(Errc::invalid_argument, "--scenarios: pades, cades, rss");
                o.scenarios.push_back(item);
            }
        } else if (arg == "--rss-mib") {
            o.rss_mib = static_cast<std::size_t>(std::atoi(value().c_str()));
            if (o.rss_mib < 1 || o.rss_mib > 1024)
                throw Error(Errc::invalid_argument, "--rss-mib must be 1..1024");
        } else {
            throw Error(Errc::invalid_argument, "unknown option " + arg);
        }
    }
    return o;
}

struct Row {
    std::string scenario;
    int threads = 0;
    double ops_per_s = 0;
    double p50_ms = 0, p99_ms = 0;
    // CPU per operation: this process's, and the PostgreSQL server's (its processes' share of
    // the work), what an operation costs the machine whatever else runs on it.
    double cpu_ms = 0, pg_ms = 0;
};

double percentile(std::vector<double> values, double p) {
    if (values.empty())
        return 0;
    std::ranges::sort(values);
    const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
    return values[std::min(index, values.size() - 1)];
}

// N contracts made first, then signed by `threads` threads taking the next one each.
Row signing_rate(SignBed& bed, const std::string& scenario, int threads, int signatures,
                 const Bytes& document) {
    std::vector<std::string> ids;
    for (int i = 0; i < signatures; ++i)
        ids.push_back(bed.sent_contract(scenario == "pades" ? "pdf" : "bytes", document));
    std::atomic<std::size_t> next{0};
    std::mutex mutex;
    std::vector<double> latencies;
    std::exception_ptr failure;
    const int postmaster = read_pid(bed.postgres->data_dir() / "postmaster.pid");
    const double cpu_before = process_cpu_seconds();
    const double pg_before = process_tree_cpu_seconds(postmaster);
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            for (std::size_t i = next++; i < ids.size(); i = next++) {
                const auto begin = std::chrono::steady_clock::now();
                try {
                    bed.sign_first(ids[i]);
                } catch (...) {
                    std::lock_guard lock(mutex);
                    failure = std::current_exception();
                    return;
                }
                const std::chrono::duration<double, std::milli> took =
                    std::chrono::steady_clock::now() - begin;
                std::lock_guard lock(mutex);
                latencies.push_back(took.count());
            }
        });
    }
    for (auto& worker : workers)
        worker.join();
    if (failure)
        std::rethrow_exception(failure);
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    const double n = signatures;
    return {scenario,
            threads,
            n / elapsed.count(),
            percentile(latencies, 0.50),
            percentile(latencies, 0.99),
            (process_cpu_seconds() - cpu_before) * 1000 / n,
            (process_tree_cpu_seconds(postmaster) - pg_before) * 1000 / n};
}

long status_kib(const char* field) {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with(field))
            return std::atol(line.c_str() + std::strlen(field));
    }
    return 0;
}

struct RssResult {
    double baseline_mib = 0, peak_mib = 0, document_mib = 0;
};

// The peak RSS while signer 1 signs a large PDF, above the RSS just before.
RssResult signing_rss(SignBed& bed, std::size_t mib) {
    const std::string id = [&] {
        const Bytes pdf = synthetic_pdf(mib * 1024 * 1024);
        return bed.sent_contract("pdf", pdf);
    }();
    malloc_trim(0);
    // Linux: writing 5 to clear_refs resets VmHWM (the peak) to the current RSS.
    std::ofstream("/proc/self/clear_refs") << "5";
    RssResult r;
    r.baseline_mib = static_cast<double>(status_kib("VmRSS:")) / 1024;
    bed.sign_first(id);
    r.peak_mib = static_cast<double>(status_kib("VmHWM:")) / 1024;
    r.document_mib = static_cast<double>(mib);
    return r;
}

}  // namespace

int bench_sign(int argc, char** argv) {
    const SignBenchOptions options = parse(argc, argv);
    const int max_threads = *std::ranges::max_element(options.threads);
    SignBed bed(max_threads);
    const auto wanted = [&](const std::string& s) {
        return std::ranges::find(options.scenarios, s) != options.scenarios.end();
    };

    // The ceiling's parts, each at its best thread count.
    const auto& record = bed.alice_certificate;
    const auto user_key = bed.token->wrapped_signer(
        {parse_key_type(record.key_type), *record.wrapped_key, record.public_key},
        *record.kek_label);
    const sign::TimeStamper stamper = sign::tsa_time_stamper(*bed.tsa, {std::nullopt, "bench"});
    std::vector<Row> rows;
    double best_user_key = 0, best_tsa = 0;
    const double per_run = options.seconds / 2;
    for (int threads : options.threads) {
        double user_key_cpu = 0, tsa_cpu = 0;
        const double u = measure(threads, per_run, [&] {
            auto digest = std::make_shared<Bytes>(32);
            RAND_bytes(digest->data(), 32);
            return std::function<void()>([&, digest] {
                (void)user_key->sign_digest(Digest::sha256, hsm::Padding::ecdsa, *digest);
            });
        }, &user_key_cpu);
        const double t = measure(threads, per_run, [&] {
            auto digest = std::make_shared<Bytes>(32);
            return std::function<void()>([&, digest] {
                RAND_bytes(digest->data(), 32);
                (void)stamper(Digest::sha256, *digest);
            });
        }, &tsa_cpu);
        rows.push_back({"user-key", threads, u, 0, 0, user_key_cpu * 1000, 0});
        rows.push_back({"tsa", threads, t, 0, 0, tsa_cpu * 1000, 0});
        best_user_key = std::max(best_user_key, u);
        best_tsa = std::max(best_tsa, t);
    }
    const double ceiling = 1 / (1 / best_user_key + 1 / best_tsa);
    rows.push_back({"ceiling", 0, ceiling});

    const Bytes document_pdf = synthetic_pdf(1024 * 1024);
    Bytes document_bytes(1024 * 1024);
    RAND_bytes(document_bytes.data(), static_cast<int>(document_bytes.size()));
    for (const std::string scenario : {"pades", "cades"}) {
        if (!wanted(scenario))
            continue;
        bed.sign_first(bed.sent_contract(scenario == std::string("pades") ? "pdf" : "bytes",
                                         scenario == std::string("pades") ? document_pdf
                                                                          : document_bytes));
        for (int threads : options.threads)
            rows.push_back(signing_rate(bed, scenario, threads, options.signatures,
                                        scenario == std::string("pades") ? document_pdf
                                                                         : document_bytes));
    }
    std::optional<RssResult> rss;
    if (wanted("rss"))
        rss = signing_rss(bed, options.rss_mib);

    for (const Row& row : rows) {
        const double ratio = row.ops_per_s / ceiling;
        if (options.json) {
            std::printf("{\"bench\":\"sign\",\"scenario\":\"%s\",\"alg\":\"ec-p256\","
                        "\"threads\":%d,\"ops_per_s\":%.2f,\"ceiling\":%.2f,\"ratio\":%.3f",
                        row.scenario.c_str(), row.threads, row.ops_per_s, ceiling, ratio);
            if (row.p99_ms > 0)
                std::printf(",\"p50_ms\":%.1f,\"p99_ms\":%.1f", row.p50_ms, row.p99_ms);
            if (row.cpu_ms > 0)
                std::printf(",\"cpu_ms_per_op\":%.3f", row.cpu_ms);
            if (row.p99_ms > 0)
                std::printf(",\"postgres_cpu_ms_per_op\":%.2f", row.pg_ms);
            std::printf("}\n");
        } else {
            if (&row == &rows.front())
                std::printf("%-9s %-8s %7s %10s %10s %6s %8s %8s %8s %8s\n", "scenario", "alg",
                            "threads", "ops/s", "ceiling", "ratio", "p50 ms", "p99 ms", "cpu ms",
                            "(pg ms)");
            std::printf("%-9s %-8s %7d %10.2f %10.2f %6.3f", row.scenario.c_str(), "ec-p256",
                        row.threads, row.ops_per_s, ceiling, ratio);
            if (row.p99_ms > 0)
                std::printf(" %8.1f %8.1f %8.2f %8.2f", row.p50_ms, row.p99_ms, row.cpu_ms,
                            row.pg_ms);
            else if (row.cpu_ms > 0)
                std::printf(" %8s %8s %8.3f", "", "", row.cpu_ms);
            std::printf("\n");
        }
    }
    if (rss) {
        const double ratio = (rss->peak_mib - rss->baseline_mib) / rss->document_mib;
        if (options.json)
            std::printf("{\"bench\":\"sign\",\"scenario\":\"rss\",\"alg\":\"ec-p256\","
                        "\"threads\":1,\"document_mib\":%.0f,\"baseline_rss_mib\":%.1f,"
                        "\"peak_rss_mib\":%.1f,\"ratio\":%.3f}\n",
                        rss->document_mib, rss->baseline_mib, rss->peak_mib, ratio);
        else
            std::printf("\nrss: signing a %.0f MiB PDF: RSS %.1f MiB before, peak %.1f MiB; the "
                        "increase is %.2fx the document (goal: under 2)\n",
                        rss->document_mib, rss->baseline_mib, rss->peak_mib, ratio);
    }
    return 0;
}

}  // namespace signet::bench
