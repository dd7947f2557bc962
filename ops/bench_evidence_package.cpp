// The evidence package benchmark (docs/evidence.md "Benchmarks"): the contract signing bed
// (ops/bench_sign_bed.hpp: SoftHSM, embedded PostgreSQL with fsync, the CA, the RA's one-time
// passwords, the vault, our TSA) with the evidence seal and the checkpoint key in its ceremony;
// a synthetic PDF of --document-mib MiB created, sent and signed by both parties (PAdES B-LT
// each); then the package built --packages times by evidence::PackageBuilder wired as signetd
// wires it (api/signetd_evidence.cpp), into a sink that counts the bytes and drops them.
#include "ops/bench_evidence_package.hpp"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "audit/checkpoints.hpp"
#include "common/error.hpp"
#include "evidence/package.hpp"
#include "evidence/seal.hpp"
#include "ops/bench_sign_bed.hpp"
#include "ops/bench_support.hpp"
#include "sign/checkpoint_signing.hpp"
#include "sign/signing_credentials.hpp"
#include "sign/tsa_time_stamper.hpp"

namespace signet::bench {

namespace {

using Clock_ = std::chrono::steady_clock;
constexpr double kMiB = 1024.0 * 1024.0;

double status_mib(const char* field) {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);)
        if (line.starts_with(field))
            return static_cast<double>(std::atol(line.c_str() + std::strlen(field))) / 1024;
    return 0;
}

struct Run {
    std::vector<double> ms;      // each operation's latency
    double seconds = 0;          // all of them
    double rss_baseline = 0;     // MiB, the largest RSS just before an operation
    double rss_growth = 0;       // MiB, the largest VmHWM - RSS-before of an operation
    std::uint64_t bytes = 0;     // what the last operation gave the sink
    double cpu_ms = 0;           // this process's CPU per operation (user + system)
    double postgres_cpu_ms = 0;  // the PostgreSQL server's (all its processes) per operation
};

// `count` operations, each timed; before each, freed memory is given back and the kernel's
// high-water mark reset to the current RSS (Linux: "5" into clear_refs resets VmHWM), so the
// VmHWM read after it is that operation's peak. `postmaster`: the PostgreSQL server's pid, whose
// CPU is counted too (the vault's chunks are read out of it).
Run measured(int count, int postmaster, const std::function<std::uint64_t()>& op) {
    Run r;
    const double cpu_before = process_cpu_seconds();
    const double postgres_before = process_tree_cpu_seconds(postmaster);
    for (int i = 0; i < count; ++i) {
        malloc_trim(0);
        std::ofstream("/proc/self/clear_refs") << "5";
        const double before = status_mib("VmRSS:");
        const auto t = Clock_::now();
        r.bytes = op();
        const double elapsed = std::chrono::duration<double>(Clock_::now() - t).count();
        const double peak = status_mib("VmHWM:");
        r.ms.push_back(elapsed * 1000);
        r.seconds += elapsed;
        r.rss_baseline = std::max(r.rss_baseline, before);
        r.rss_growth = std::max(r.rss_growth, peak - before);
    }
    r.cpu_ms = (process_cpu_seconds() - cpu_before) * 1000 / count;
    r.postgres_cpu_ms = (process_tree_cpu_seconds(postmaster) - postgres_before) * 1000 / count;
    std::ranges::sort(r.ms);
    return r;
}

double percentile(const std::vector<double>& sorted, double q) {
    return sorted[std::min(sorted.size() - 1,
                           static_cast<std::size_t>(q * static_cast<double>(sorted.size())))];
}

}  // namespace

void package_scenario(const PackageBenchOptions& o) {
    SignBed bed(1, /*evidence_keys=*/true);
    const sign::ContractCaller caller{"client:bench", "bench"};
    const std::string id = [&] {
        const Bytes pdf =
            synthetic_pdf(o.document_mib * 1024 * 1024, o.scans ? PdfPages::scans : PdfPages::text);
        return bed.sent_contract("pdf", pdf);
    }();
    bed.sign_as(id, 1);
    bed.sign_as(id, 2);
    const sign::Contract contract = bed.service->find(id, caller);
    if (contract.record.state != "completed")
        throw Error(Errc::internal,
                    "the bench's contract is " + contract.record.state + " after both signatures");

    // signetd's wiring (api/signetd_evidence.cpp).
    auto seal = evidence::load_evidence_seal(bed.certificates, *bed.token);
    auto checkpoint_key = sign::checkpoint_signing(bed.certificates, *bed.token, *bed.tsa,
                                                   "bench.example/audit", "bench");
    if (!seal || !checkpoint_key)
        throw Error(Errc::internal, "the bench's ceremony made no evidence seal or checkpoint key");
    audit::PostgresCheckpoints checkpoints(*bed.database, *bed.audit, bed.clock,
                                           std::move(*checkpoint_key));
    const sign::TimeStamper stamper =
        sign::tsa_time_stamper(*bed.tsa, {std::nullopt, "signet-evidence"});
    const std::vector<X509Ptr> tsa_chain = sign::tsa_chain(bed.certificates);
    std::vector<const X509*> tsa_chain_view;
    for (const X509Ptr& c : tsa_chain)
        tsa_chain_view.push_back(c.get());
    evidence::PackageBuilder builder(evidence::PackageDependencies{
        .contracts = *bed.service,
        .database = *bed.database,
        .certificates = bed.certificates,
        .subjects = bed.subjects,
        .audit_log = *bed.audit,
        .audit_reader = *bed.audit,
        .checkpoints = checkpoints,
        .checkpointer = checkpoints,
        .seal = sign::SigningParties{*seal, stamper, bed.validation, tsa_chain_view},
        .clock = bed.clock,
    });
    // The contract's events drained and under a checkpoint before the first build, as signetd's
    // periodic checkpoint leaves them: every build below does the same work.
    while (bed.audit->drain() > 0) {
    }
    (void)checkpoints.checkpoint_now();

    const int postmaster = read_pid(bed.postgres->data_dir() / "postmaster.pid");
    const Run packages = measured(o.packages, postmaster, [&] {
        std::uint64_t bytes = 0;
        builder.build(id, caller, [&](ByteView piece) { bytes += piece.size(); });
        return bytes;
    });
    // The ceiling: the same revision decrypted out of the vault into the same kind of sink.
    const int final_revision = contract.revisions.back().number;
    const Run reads = measured(o.packages, postmaster, [&] {
        std::uint64_t bytes = 0;
        sign::VaultReader reader = bed.service->document(id, final_revision, caller);
        while (const auto chunk = reader.next())
            bytes += chunk->size();
        return bytes;
    });

    const double ops_per_s = o.packages / packages.seconds;
    const double ceiling = o.packages / reads.seconds;
    if (o.json) {
        std::printf(
            "{\"bench\":\"evidence\",\"scenario\":\"package\",\"alg\":\"ec-p256\","
            "\"threads\":1,\"ops_per_s\":%.3f,\"ceiling\":%.3f,\"ratio\":%.3f,"
            "\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"peak_rss_mib\":%.1f,"
            "\"rss_baseline_mib\":%.1f,\"document_mib\":%zu,\"pdf_pages\":\"%s\","
            "\"package_mib\":%.1f,"
            "\"cpu_ms\":%.0f,\"postgres_cpu_ms\":%.0f,\"vault_read_cpu_ms\":%.0f,"
            "\"vault_read_postgres_cpu_ms\":%.0f,\"vault_read_peak_rss_mib\":%.1f}\n",
            ops_per_s, ceiling, ops_per_s / ceiling, percentile(packages.ms, 0.50),
            percentile(packages.ms, 0.99), packages.rss_growth, packages.rss_baseline,
            o.document_mib, o.scans ? "scans" : "text", static_cast<double>(packages.bytes) / kMiB,
            packages.cpu_ms, packages.postgres_cpu_ms, reads.cpu_ms, reads.postgres_cpu_ms,
            reads.rss_growth);
    } else {
        std::printf(
            "package: %.3f packages/s (ceiling %.3f vault reads/s, ratio %.3f), p50 %.1f "
            "ms, p99 %.1f ms; a %zu MiB PDF of %s signed twice, package %.1f MiB; CPU %.0f ms "
            "+ PostgreSQL %.0f ms per package (vault read: %.0f + %.0f ms); peak RSS "
            "+%.1f MiB over %.1f MiB (vault read: +%.1f MiB)\n",
            ops_per_s, ceiling, ops_per_s / ceiling, percentile(packages.ms, 0.50),
            percentile(packages.ms, 0.99), o.document_mib, o.scans ? "scans" : "text",
            static_cast<double>(packages.bytes) / kMiB, packages.cpu_ms, packages.postgres_cpu_ms,
            reads.cpu_ms, reads.postgres_cpu_ms, packages.rss_growth, packages.rss_baseline,
            reads.rss_growth);
    }
}

}  // namespace signet::bench
