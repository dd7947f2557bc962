// signet-bench tsa: the time-stamp authority end to end. A load generator in this process
// (asynchronous: all keep-alive connections on one client thread, or a few, so that it takes
// little of the CPU the server needs) posts valid RFC 3161 requests — random imprints and
// nonces — to an api::Server carrying the /tsa route over a responder with its key in a SoftHSM
// token and its durable journal in PostgreSQL (the embedded cluster, fsync and synchronous
// commit on), and verifies a sample of the replies with OpenSSL. The ceiling is the HSM's raw
// C_Sign rate for the same key type, measured in the same run, interleaved.
#include "ops/bench_tsa.hpp"

#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/server.hpp"
#include "api/tsa_routes.hpp"
#include "common/error.hpp"
#include "hsm/bridge.hpp"
#include "hsm/token.hpp"
#include "ops/bench_support.hpp"
#include "ops/bench_tsa_peer.hpp"
#include "store/embedded_postgres.hpp"
#include "store/migrations.hpp"
#include "store/tsa_tokens.hpp"
#include "tests/support/process.hpp"
#include "tests/support/softhsm.hpp"
#include "tsa/journal.hpp"
#include "tsa/responder.hpp"
#include "tsa/verify.hpp"

namespace signet::bench {

const char* const kTsaUsage =
    R"(
usage: signet-bench tsa [--json] [--seconds S] [--rounds R] [--connections N,N,...]
                        [--threads N,N,...] [--alg A] [--sample K] [--server-threads N]
                        [--client-threads T] [--uts-server DIR [--peer-threads N]]
                        [--journal-writers N]

Scenarios of 'tsa', for ec-p256 and rsa-2048 (--alg: one of them):
  ceiling   raw C_SignInit+C_Sign per second with a key of the TSA key's type, one session per
            thread (--threads; the best count is the ceiling)
  responder the responder alone, called in this process from --threads threads: the same
            checks, TSTInfo and SignedData and the same HSM key, but no HTTP and a journal
            that keeps nothing (no database). The ceiling of what any server can make of this
            responder here: the 'tsa' rows cannot pass its ratio
  tsa       time-stamp tokens per second over keep-alive HTTP (--connections, default 64,128):
            POST /tsa with a fresh SHA-256 imprint and nonce each (certReq), durable group
            commit of each token's record before it is signed, HTTP 200 application/timestamp-
            reply checked on every reply, and 1 in K replies (--sample, default 100) parsed and
            verified (signature, chain, imprint, nonce); with p50/p99 latency and the CPU per
            token (this process and PostgreSQL). The server has one worker thread per
            connection, at most 64 (--server-threads overrides): a handler waits for its batch's
            commit and then for the HSM, and more threads cost more CPU than they bring. The
            load generator is asynchronous: every connection keeps one request in flight, all
            of them driven by T threads (--client-threads, default 1)
  uts-server  the peer (issue 16; only with --uts-server DIR, a checkout of
            github.com/kakwa/uts-server's source outside this repository, built here against
            Debian's libcivetweb-dev): the same load, the same rounds, its key in a PEM file of
            the same type, certificate from the same root, --peer-threads threads (default 32),
            no token log, no database; CPU: its process
  openssl-sign  the peer's signature alone: EVP_DigestSign with its in-memory key, one thread
            (with --uts-server)
--journal-writers: the group commit's transactions in flight at once (default as signetd's).
Per tsa and uts-server row, 'host us': the server's CPU per token outside the signature (tsa:
this process less the load generator's threads, plus PostgreSQL, less the least CPU of one raw
C_Sign; uts-server: its CPU less openssl-sign's), the figure issue 16's goal compares.
)";

namespace {

using SteadyClock = std::chrono::steady_clock;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// CPU seconds used so far by a PostgreSQL cluster: the postmaster and its children.
double postgres_cpu_seconds(const std::filesystem::path& data_dir) {
    return process_tree_cpu_seconds(read_pid(data_dir / "postmaster.pid"));
}

struct TsaBenchOptions {
    bool json = false;
    double seconds = 6.0;
    int rounds = 3;
    std::vector<int> connections{64, 128};
    std::vector<int> threads;
    std::vector<KeyType> algs{KeyType::ec_p256, KeyType::rsa_2048};
    int sample = 100;
    int server_threads = 0;  // 0: the largest connection count, at most 64
    // The load generator's threads. One is enough to keep hundreds of connections busy, and
    // every thread more competes with the server for the same cores.
    int client_threads = 1;
    std::filesystem::path uts_server;  // empty: the peer is not measured
    int peer_threads = 32;
    unsigned journal_writers = store::GroupCommitOptions{}.writers;
};

TsaBenchOptions parse_options(int argc, char** argv) {
    TsaBenchOptions options;
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    options.threads = {1, cores, 2 * cores, 4 * cores};
    std::ranges::sort(options.threads);
    options.threads.erase(std::unique(options.threads.begin(), options.threads.end()),
                          options.threads.end());
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                throw Error(Errc::invalid_argument, arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--json") {
            options.json = true;
        } else if (arg == "--seconds") {
            options.seconds = std::atof(value().c_str());
            if (!(options.seconds > 0 && options.seconds <= 600))
                throw Error(Errc::invalid_argument, "--seconds must be in (0, 600]");
        } else if (arg == "--rounds") {
            options.rounds = std::atoi(value().c_str());
            if (options.rounds < 1 || options.rounds > 20)
                throw Error(Errc::invalid_argument, "--rounds must be 1..20");
        } else if (arg == "--connections") {
            options.connections = parse_list(arg, value(), 512);
        } else if (arg == "--threads") {
            options.threads = parse_list(arg, value(), 256);
        } else if (arg == "--alg") {
            const KeyType type = parse_key_type(value());
            if (type != KeyType::ec_p256 && type != KeyType::rsa_2048)
                throw Error(Errc::invalid_argument, "--alg is ec-p256 or rsa-2048");
            options.algs = {type};
        } else if (arg == "--server-threads") {
            options.server_threads = std::atoi(value().c_str());
            if (options.server_threads < 1 || options.server_threads > 1024)
                throw Error(Errc::invalid_argument, "--server-threads must be 1..1024");
        } else if (arg == "--client-threads") {
            options.client_threads = std::atoi(value().c_str());
            if (options.client_threads < 1 || options.client_threads > 64)
                throw Error(Errc::invalid_argument, "--client-threads must be 1..64");
        } else if (arg == "--uts-server") {
            options.uts_server = value();
        } else if (arg == "--journal-writers") {
            const int writers = std::atoi(value().c_str());
            if (writers < 1 || writers > 16)
                throw Error(Errc::invalid_argument, "--journal-writers must be 1..16");
            options.journal_writers = static_cast<unsigned>(writers);
        } else if (arg == "--peer-threads") {
            options.peer_threads = std::atoi(value().c_str());
            if (options.peer_threads < 1 || options.peer_threads > 1024)
                throw Error(Errc::invalid_argument, "--peer-threads must be 1..1024");
        } else if (arg == "--sample") {
            options.sample = std::atoi(value().c_str());
            if (options.sample < 1)
                throw Error(Errc::invalid_argument, "--sample must be at least 1");
        } else {
            throw Error(Errc::invalid_argument, "unknown option " + arg);
        }
    }
    return options;
}

// --- The TSA's PKI: a software root (the benchmark's own) and the TSA certificate for the
// HSM key. -------------------------------------------------------------------------------------

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value);
    if (ext == nullptr || X509_add_ext(cert, ext, -1) != 1)
        throw_openssl_error("cannot add an extension to a benchmark certificate");
    X509_EXTENSION_free(ext);
}

X509Ptr make_certificate(const char* common_name, EVP_PKEY* public_key, X509* issuer,
                         EVP_PKEY* issuer_key, bool ca) {
    X509Ptr cert(X509_new());
    X509NamePtr name(X509_NAME_new());
    if (!cert || !name)
        throw_openssl_error("cannot make a benchmark certificate");
    X509_set_version(cert.get(), X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ca ? 1 : 2);
    X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
    X509_set_subject_name(cert.get(), name.get());
    X509_set_issuer_name(cert.get(),
                         issuer != nullptr ? X509_get_subject_name(issuer) : name.get());
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400 * 30);
    X509_set_pubkey(cert.get(), public_key);
    X509* signer = issuer != nullptr ? issuer : cert.get();
    if (ca) {
        add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
        add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign");
    } else {
        add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
        add_extension(cert.get(), signer, NID_ext_key_usage, "critical,timeStamping");
    }
    if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0)
        throw_openssl_error("cannot sign a benchmark certificate");
    return cert;
}

// --- The load generator ------------------------------------------------------------------------

// A TimeStampReq (DER) for SHA-256: version 1, the imprint, an 8-octet nonce, certReq TRUE.
Bytes make_query(std::uint8_t* random_bytes) {
    static const std::uint8_t kHead[] = {0x30, 0x43,        // TimeStampReq
                                         0x02, 0x01, 0x01,  // version 1
                                         0x30, 0x31,        // messageImprint
                                         0x30, 0x0d, 0x06, 0x09, 0x60, 0x86,
                                         0x48, 0x01, 0x65,                    // sha256,
                                         0x03, 0x04, 0x02, 0x01, 0x05, 0x00,  // NULL
                                         0x04, 0x20};                         // hashedMessage
    Bytes query(kHead, kHead + sizeof kHead);
    query.insert(query.end(), random_bytes, random_bytes + 32);
    // nonce: 8 octets, the first in 0x01..0x7f so that the INTEGER is positive and minimal.
    query.insert(query.end(), {0x02, 0x08});
    query.push_back(static_cast<std::uint8_t>((random_bytes[32] & 0x7f) | 0x01));
    query.insert(query.end(), random_bytes + 33, random_bytes + 40);
    query.insert(query.end(), {0x01, 0x01, 0xff});  // certReq TRUE
    return query;
}

// One client thread's share of the load: its io_context, run by that thread alone (so nothing
// in it is locked), and what its connections measured.
struct ClientShard {
    boost::asio::io_context io{1};
    std::vector<std::uint32_t> latencies_us;
    long verified = 0;
    long replies = 0;        // all of them, the warm-up's too
    double cpu_seconds = 0;  // what its thread used, for all of them
    std::string failure;     // the first error of this shard's connections
};

// Context switches of this process so far, voluntary and not, its threads that have ended
// included: what one thread per connection costs beyond its CPU time shows here.
long context_switches() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_nvcsw + usage.ru_nivcsw;
}

// What every connection shares: the window, the verification's inputs, and the flag one failed
// connection raises so that the others stop.
struct LoadPlan {
    SteadyClock::time_point count_from;
    SteadyClock::time_point count_until;
    int sample = 100;
    const X509* root = nullptr;
    std::atomic<bool> failed{false};
};

// One keep-alive HTTP/1.1 connection posting queries back to back, asynchronously: a request
// is written, its reply read, checked and timed, and the next one written, until the window
// closes. Kept alive by the shared_ptr in its handlers.
class ClientConnection : public std::enable_shared_from_this<ClientConnection> {
  public:
    ClientConnection(ClientShard& shard, LoadPlan& plan, int index)
        : shard_(shard), plan_(plan), socket_(shard.io), index_(index) {
        request_.method(http::verb::post);
        request_.target("/tsa");
        request_.version(11);
        request_.set(http::field::host, "127.0.0.1");
        request_.set(http::field::content_type, "application/timestamp-query");
    }

    void start(const tcp::endpoint& server) {
        socket_.async_connect(server, [self = shared_from_this()](beast::error_code ec) {
            if (ec)
                return self->fail("cannot connect to the benchmark server: " + ec.message());
            // Requests are small and each waits for its reply: Nagle would only delay them.
            self->socket_.set_option(tcp::no_delay(true), ec);
            if (ec)
                return self->fail("cannot set TCP_NODELAY: " + ec.message());
            self->post_next();
        });
    }

  private:
    void post_next() {
        started_ = SteadyClock::now();
        if (started_ >= plan_.count_until || plan_.failed.load(std::memory_order_relaxed)) {
            beast::error_code ignored;
            socket_.shutdown(tcp::socket::shutdown_both, ignored);
            socket_.close(ignored);
            return;
        }
        if (used_ == sizeof random_) {
            // 64 queries' imprints and nonces at a time: one RAND_bytes call instead of 64.
            if (RAND_bytes(random_, sizeof random_) != 1)
                return fail("RAND_bytes failed");
            used_ = 0;
        }
        query_ = make_query(random_ + used_);
        used_ += 40;
        request_.body().assign(reinterpret_cast<const char*>(query_.data()), query_.size());
        request_.prepare_payload();
        http::async_write(socket_, request_,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec)
                                  return self->fail("cannot send a request: " + ec.message());
                              self->read_reply();
                          });
    }

    void read_reply() {
        // A fresh parser per reply (Beast's parsers read one message each).
        response_.emplace();
        response_->body_limit(64 * 1024);
        http::async_read(socket_, buffer_, *response_,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) {
                             if (ec)
                                 return self->fail("cannot read a reply: " + ec.message());
                             self->on_reply();
                         });
    }

    void on_reply() {
        const auto finished = SteadyClock::now();
        const auto& reply = response_->get();
        if (reply.result() != http::status::ok)
            return fail("the server answered " + std::to_string(reply.result_int()));
        if (reply[http::field::content_type] != "application/timestamp-reply")
            return fail("the reply is not application/timestamp-reply");
        ++shard_.replies;
        if (started_ >= plan_.count_from) {
            shard_.latencies_us.push_back(static_cast<std::uint32_t>(
                std::chrono::duration_cast<std::chrono::microseconds>(finished - started_)
                    .count()));
            // 1 in `sample`: the whole check, as a relying party would do it. It runs on this
            // client thread, in between the others' I/O.
            if ((++done_ + index_) % plan_.sample == 0) {
                try {
                    tsa::VerifyOptions options;
                    X509_up_ref(const_cast<X509*>(plan_.root));
                    options.trusted.emplace_back(const_cast<X509*>(plan_.root));
                    options.query = query_;
                    tsa::verify_token(tsa::parse_token(as_bytes(reply.body())), options);
                    ++shard_.verified;
                } catch (const std::exception& e) {
                    return fail(e.what());
                }
            }
        }
        post_next();
    }

    void fail(const std::string& what) {
        if (shard_.failure.empty())
            shard_.failure = what;
        plan_.failed = true;
        beast::error_code ignored;
        socket_.close(ignored);
    }

    ClientShard& shard_;
    LoadPlan& plan_;
    tcp::socket socket_;
    int index_;
    long done_ = 0;
    SteadyClock::time_point started_;
    std::uint8_t random_[40 * 64];
    std::size_t used_ = sizeof random_;
    Bytes query_;
    http::request<http::string_body> request_;
    beast::flat_buffer buffer_;
    std::optional<http::response_parser<http::string_body>> response_;
};

struct LoadResult {
    double tokens_per_s = 0;
    double p50_ms = 0;
    double p99_ms = 0;
    long verified = 0;
    double cpu_us_per_op = 0;     // what the meter charges (Signet: this process, server and
                                  // load generator, and PostgreSQL; a peer: its process)
    double pg_us_per_op = 0;      // of which PostgreSQL
    double client_us_per_op = 0;  // of which the load generator's threads
    double switches_per_op = 0;   // this process's context switches
};

// Where a load run's CPU is read: `total` is everything charged to the server under test (CPU
// seconds so far), `postgres` the part of it that is its database (none for a peer).
struct CpuMeter {
    std::function<double()> total;
    std::function<double()> postgres;
};

// `connections` keep-alive connections spread over `client_threads` threads (each running its
// own io_context), for a warm-up and then `seconds`, each verifying 1 in `sample` replies.
LoadResult drive(std::uint16_t port, int connections, int client_threads, double seconds,
                 int sample, const X509* root, const CpuMeter& meter) {
    const auto warmup = std::chrono::duration_cast<SteadyClock::duration>(
        std::chrono::duration<double>(std::min(0.5, seconds / 4)));
    const auto window =
        std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(seconds));
    LoadPlan plan;
    plan.count_from = SteadyClock::now() + std::chrono::milliseconds(100) + warmup;
    plan.count_until = plan.count_from + window;
    plan.sample = sample;
    plan.root = root;
    std::vector<std::unique_ptr<ClientShard>> shards;
    for (int t = 0; t < client_threads; ++t)
        shards.push_back(std::make_unique<ClientShard>());
    const tcp::endpoint server(boost::asio::ip::address_v4::loopback(), port);
    for (int c = 0; c < connections; ++c) {
        std::make_shared<ClientConnection>(*shards[static_cast<std::size_t>(c % client_threads)],
                                           plan, c)
            ->start(server);
    }
    std::vector<std::thread> clients;
    for (auto& shard : shards) {
        clients.emplace_back([&shard = *shard, &plan] {
            pthread_setname_np(pthread_self(), "tsa-client");
            const double cpu_from = thread_cpu_seconds();
            try {
                shard.io.run();
                shard.cpu_seconds = thread_cpu_seconds() - cpu_from;
            } catch (const std::exception& e) {
                // What a handler threw (memory, the RNG): the connections still queued stop.
                if (shard.failure.empty())
                    shard.failure = e.what();
                plan.failed = true;
            }
        });
    }
    // The CPU the window cost, all the meter charges.
    std::this_thread::sleep_until(plan.count_from);
    const double pg_from = meter.postgres ? meter.postgres() : 0.0;
    const double total_from = meter.total();
    const long switches_from = context_switches();
    std::this_thread::sleep_until(plan.count_until);
    const long switches = context_switches() - switches_from;
    const double pg_used = (meter.postgres ? meter.postgres() : 0.0) - pg_from;
    const double cpu_used = meter.total() - total_from;
    for (auto& client : clients)
        client.join();
    std::vector<std::uint32_t> latencies_us;
    LoadResult result;
    double client_cpu = 0;
    long replies = 0;
    for (const auto& shard : shards) {
        if (!shard->failure.empty())
            throw Error(Errc::internal, "the load generator failed: " + shard->failure);
        latencies_us.insert(latencies_us.end(), shard->latencies_us.begin(),
                            shard->latencies_us.end());
        result.verified += shard->verified;
        client_cpu += shard->cpu_seconds;
        replies += shard->replies;
    }
    if (!latencies_us.empty()) {
        result.switches_per_op =
            static_cast<double>(switches) / static_cast<double>(latencies_us.size());
    }
    if (replies > 0)
        result.client_us_per_op = client_cpu * 1e6 / static_cast<double>(replies);
    result.tokens_per_s = static_cast<double>(latencies_us.size()) / seconds;
    if (!latencies_us.empty()) {
        result.cpu_us_per_op = cpu_used * 1e6 / static_cast<double>(latencies_us.size());
        result.pg_us_per_op = pg_used * 1e6 / static_cast<double>(latencies_us.size());
    }
    if (!latencies_us.empty()) {
        std::ranges::sort(latencies_us);
        auto at = [&](double q) {
            const auto i =
                static_cast<std::size_t>(q * static_cast<double>(latencies_us.size() - 1));
            return static_cast<double>(latencies_us[i]) / 1000.0;
        };
        result.p50_ms = at(0.50);
        result.p99_ms = at(0.99);
    }
    return result;
}

// For the 'responder' scenario: records nothing, so that the responder's own work is measured
// alone. Never used for a token anybody keeps.
class DiscardingJournal final : public tsa::TokenJournal {
  public:
    void record(const store::TsaTokenRecord&) override {}
};

// One thread's worker for the 'responder' scenario: a fresh query each time, the reply must
// grant a token.
std::function<std::function<void()>()> responder_worker(std::shared_ptr<tsa::Responder> responder) {
    return [responder] {
        return [responder] {
            std::uint8_t random_bytes[40];
            if (RAND_bytes(random_bytes, sizeof random_bytes) != 1)
                throw Error(Errc::crypto, "RAND_bytes failed");
            const Bytes query = make_query(random_bytes);
            const tsa::Reply reply = responder->respond(query, {std::nullopt, "bench"});
            if (reply.failure)
                throw Error(Errc::internal, "the responder refused a valid query: " + reply.reason);
        };
    };
}

struct Row {
    std::string scenario;
    std::string alg;
    int threads;  // client connections for 'tsa'
    double ops_per_s;
    double cpu_us_per_op = 0;
    double pg_us_per_op = 0;
    double p50_ms = 0;
    double p99_ms = 0;
    long verified = 0;
    double client_us_per_op = 0;  // tsa: the load generator's share of cpu_us_per_op
    double switches_per_op = 0;   // tsa: this process's context switches per token
    // tsa, uts-server: the server's CPU per token (tsa: cpu_us_per_op less the generator's), and
    // of it what is not the signature (issue 16's "host cost"); set when the rows are printed.
    double server_us_per_op = 0;
    double host_us_per_op = 0;
};

bool is_load_row(const Row& row) { return row.scenario == "tsa" || row.scenario == "uts-server"; }

void print(const std::vector<Row>& rows, const std::map<std::string, double>& ceiling,
           const std::map<std::string, double>& ceiling_cpu,
           const std::map<std::string, std::string>& notes, int client_threads, bool json) {
    const auto cpu_ratio = [&](const Row& row) {
        return row.cpu_us_per_op > 0 ? ceiling_cpu.at(row.alg) / row.cpu_us_per_op : 0.0;
    };
    if (json) {
        for (const auto& row : rows) {
            const double c = ceiling.at(row.alg);
            std::printf(
                "{\"bench\":\"tsa\",\"scenario\":\"%s\",\"alg\":\"%s\",\"threads\":%d,"
                "\"ops_per_s\":%.1f,\"ceiling\":%.1f,\"ceiling_ops_per_s\":%.1f,\"ratio\":%.3f,"
                "\"cpu_us_per_op\":%.1f,\"cpu_ratio\":%.3f",
                row.scenario.c_str(), row.alg.c_str(), row.threads, row.ops_per_s, c, c,
                row.ops_per_s / c, row.cpu_us_per_op, cpu_ratio(row));
            if (is_load_row(row)) {
                std::printf(
                    ",\"postgres_cpu_us_per_op\":%.1f,\"server_cpu_us_per_op\":%.1f,"
                    "\"host_cpu_us_per_op\":%.1f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"verified\":%ld",
                    row.pg_us_per_op, row.server_us_per_op, row.host_us_per_op, row.p50_ms,
                    row.p99_ms, row.verified);
            }
            std::printf("}\n");
        }
        return;
    }
    std::printf("%-12s %-9s %7s %10s %10s %6s %8s %9s %7s %8s %8s %8s %8s\n", "scenario", "alg",
                "threads", "ops/s", "ceiling", "ratio", "cpu us", "cpu ratio", "(pg us)", "host us",
                "p50 ms", "p99 ms", "verified");
    for (const auto& row : rows) {
        const double c = ceiling.at(row.alg);
        if (is_load_row(row)) {
            std::printf(
                "%-12s %-9s %7d %10.1f %10.1f %6.3f %8.1f %9.3f %7.1f %8.1f %8.2f %8.2f %8ld\n",
                row.scenario.c_str(), row.alg.c_str(), row.threads, row.ops_per_s, c,
                row.ops_per_s / c, row.cpu_us_per_op, cpu_ratio(row), row.pg_us_per_op,
                row.host_us_per_op, row.p50_ms, row.p99_ms, row.verified);
        } else {
            std::printf("%-12s %-9s %7d %10.1f %10.1f %6.3f %8.1f %9.3f\n", row.scenario.c_str(),
                        row.alg.c_str(), row.threads, row.ops_per_s, c, row.ops_per_s / c,
                        row.cpu_us_per_op, cpu_ratio(row));
        }
    }
    std::printf(
        "\n'threads' of tsa and uts-server: client connections. ratio: ops/s against the best\n"
        "ceiling rate. cpu us: CPU time per operation in the window (ceiling, openssl-sign: this\n"
        "process; tsa: this process - server and load generator - plus PostgreSQL, whose share is\n"
        "'(pg us)'; uts-server: its process). cpu ratio: the least CPU a raw signature took over\n"
        "the row's. host us: the server's CPU per token less its signature's (see --help).\n");
    // The generator's own cost, apart: what of 'cpu us' the server would have on a machine of
    // its own with the load coming from elsewhere.
    std::printf(
        "load generator: asynchronous, %d client thread(s). Per token, its CPU and the\n"
        "process's context switches:",
        client_threads);
    for (const auto& row : rows) {
        if (row.scenario == "tsa") {
            std::printf(" %s/%d %.1f us %.1f,", row.alg.c_str(), row.threads, row.client_us_per_op,
                        row.switches_per_op);
        }
    }
    std::printf("\n");
    for (const auto& [alg, note] : notes)
        std::printf("%s: %s\n", alg.c_str(), note.c_str());
}

// Issue 16's comparison, per key type and connection count: Signet's host CPU per token against
// uts-server's, each with its own signature's CPU taken out.
void fill_host_cost(std::vector<Row>& rows, const std::map<std::string, double>& ceiling_cpu,
                    const std::map<std::string, double>& openssl_sign_cpu,
                    std::map<std::string, std::string>& notes) {
    for (Row& row : rows) {
        if (row.scenario == "tsa") {
            row.server_us_per_op = row.cpu_us_per_op - row.client_us_per_op;
            row.host_us_per_op = row.server_us_per_op - ceiling_cpu.at(row.alg);
        } else if (row.scenario == "uts-server" && openssl_sign_cpu.contains(row.alg)) {
            row.server_us_per_op = row.cpu_us_per_op;
            row.host_us_per_op = row.cpu_us_per_op - openssl_sign_cpu.at(row.alg);
        }
    }
    for (const Row& mine : rows) {
        if (mine.scenario != "tsa")
            continue;
        for (const Row& peer : rows) {
            if (peer.scenario != "uts-server" || peer.alg != mine.alg ||
                peer.threads != mine.threads)
                continue;
            char line[256];
            std::snprintf(line, sizeof line,
                          "\n  host CPU per token at %d connections: Signet %.0f us, uts-server "
                          "%.0f us (goal: Signet <= uts-server: %s)",
                          mine.threads, mine.host_us_per_op, peer.host_us_per_op,
                          mine.host_us_per_op <= peer.host_us_per_op ? "met" : "not met");
            notes[mine.alg] += line;
        }
    }
}

// The peer's signature alone: EVP_DigestSign with SHA-256 and its in-memory key over a
// TSTInfo-sized input, as OpenSSL's TS code signs the signed attributes.
std::function<std::function<void()>()> openssl_sign_worker(const EVP_PKEY* key) {
    return [key] {
        return [key] {
            static const std::uint8_t kInput[160] = {};
            EvpMdCtxPtr ctx(EVP_MD_CTX_new());
            std::uint8_t signature[512];
            std::size_t length = sizeof signature;
            if (!ctx ||
                EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                                   const_cast<EVP_PKEY*>(key)) != 1 ||
                EVP_DigestSign(ctx.get(), signature, &length, kInput, sizeof kInput) != 1)
                throw_openssl_error("EVP_DigestSign failed");
        };
    };
}
}  // namespace

int bench_tsa(int argc, char** argv) {
    const TsaBenchOptions options = parse_options(argc, argv);
    const int max_connections = *std::ranges::max_element(options.connections);
    const int max_threads = *std::ranges::max_element(options.threads);

    hsm::TokenConfig config = testing::SoftHsm::instance().new_token("bench-tsa");
    config.pool_size = static_cast<std::size_t>(std::max(max_connections, max_threads)) + 2;
    auto token = hsm::Token::open(config);
    testing::TempDir dir("signet-bench-tsa");
    std::filesystem::permissions(dir.path(), std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
    // Durable: fsync and synchronous commit as in production, so the figure includes them.
    store::EmbeddedPostgres postgres({.state_dir = dir.path() / "state"});
    store::Database database({.dsn = postgres.dsn(), .pool_size = 4});
    store::migrate(database);
    store::PostgresTsaTokens tokens(database);

    EvpPkeyPtr root_key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    X509Ptr root =
        make_certificate("Signet Bench Root", root_key.get(), nullptr, root_key.get(), true);

    std::vector<Row> rows;
    std::map<std::string, double> ceiling;
    std::map<std::string, double> ceiling_cpu;       // the least CPU us per raw signature
    std::map<std::string, double> openssl_sign_cpu;  // the peer's: us per in-memory signature
    std::map<std::string, std::string> notes;
    if (options.uts_server.empty())
        notes["uts-server"] = "not measured: give --uts-server DIR, a checkout of "
                              "github.com/kakwa/uts-server (docs/tsa.md, \"Benchmark\")";
    for (KeyType type : options.algs) {
        const std::string alg(to_string(type));
        const std::string label = "bench-tsa-" + alg;
        auto signer = token->generate_key(type, label);
        const CK_OBJECT_HANDLE key = find_private_key(*token, label);

        auto journal = std::make_shared<tsa::GroupCommitJournal>(
            database, tokens,
            store::GroupCommitOptions{.max_batch = 1024, .writers = options.journal_writers});
        const X509Ptr tsa_certificate = make_certificate("Signet Bench TSA", signer->public_key(),
                                                         root.get(), root_key.get(), false);
        // The same responder twice: with the durable journal (behind HTTP), and with one that
        // keeps nothing ('responder').
        auto make_responder = [&](std::shared_ptr<tsa::TokenJournal> token_journal) {
            tsa::ResponderOptions responder_options;
            responder_options.identity.certificate.reset(X509_dup(tsa_certificate.get()));
            responder_options.identity.key = hsm::bridge_key(signer);
            responder_options.clock = std::make_shared<SystemClock>();
            // The benchmark measures throughput, not this machine's NTP state.
            responder_options.settings.allow_unsynchronized_clock = true;
            responder_options.serials = std::make_shared<tsa::RandomSerials>(
                [token](std::size_t n) { return token->random(n); });
            responder_options.journal = std::move(token_journal);
            responder_options.node = "bench";
            return std::make_shared<tsa::Responder>(std::move(responder_options));
        };
        auto responder = make_responder(journal);
        auto bare_responder = make_responder(std::make_shared<DiscardingJournal>());

        // The peer, when asked for: a key of the same type in memory, certified by the same
        // root. Made before Signet's server runs, so that a peer that does not build or start
        // stops the benchmark with its reason.
        std::unique_ptr<UtsServerPeer> peer;
        EvpPkeyPtr peer_key;
        if (!options.uts_server.empty()) {
            peer_key.reset(type == KeyType::ec_p256
                               ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                               : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
            if (!peer_key)
                throw_openssl_error("cannot make the peer's key");
            const X509Ptr peer_certificate = make_certificate(
                "uts-server Bench TSA", peer_key.get(), root.get(), root_key.get(), false);
            const std::filesystem::path peer_dir = dir.path() / ("uts-" + alg);
            std::filesystem::create_directories(peer_dir);
            peer = std::make_unique<UtsServerPeer>(options.uts_server, peer_dir,
                                                   peer_certificate.get(), peer_key.get(),
                                                   options.peer_threads);
        }
        api::Router router;
        api::add_tsa_routes(router, responder);
        api::ServerOptions server_options;
        server_options.http = {true, "127.0.0.1", 0};
        // A handler waits for its batch's commit and then for the HSM: one worker per
        // connection, so every connection's request can be in flight at once. The I/O threads
        // (one per core) never wait.
        server_options.worker_threads = static_cast<unsigned>(
            options.server_threads > 0 ? options.server_threads : std::min(max_connections, 64));
        server_options.limits.max_connections = static_cast<std::size_t>(max_connections) + 16;
        auto access_log = std::make_shared<Logger>(LogDestination::file(dir.path() / "access.log"));
        auto quiet = std::make_shared<Logger>(LogDestination::standard_error(),
                                              LoggerOptions{.minimum = LogLevel::error});
        api::Server server(std::move(server_options), std::move(router),
                           api::ServerContext{nullptr, nullptr, quiet, access_log, {}});
        std::thread runner([&] { server.run(); });

        const CpuMeter signet_meter{
            [] { return process_cpu_seconds(); },
            [&postgres] { return postgres_cpu_seconds(postgres.data_dir()); }};
        const auto with_postgres = [&signet_meter] {
            return signet_meter.total() + signet_meter.postgres();
        };

        std::map<std::pair<std::string, int>, Row> best;
        try {
            for (int round = 0; round < options.rounds; ++round) {
                const double per_round = options.seconds / options.rounds;
                for (int threads : options.threads) {
                    double cpu = 0;
                    const double rate =
                        measure(threads, per_round, raw_sign_worker(*token, key, type), &cpu);
                    Row& b = best[{"ceiling", threads}];
                    if (rate > b.ops_per_s)
                        b = {"ceiling", alg, threads, rate, cpu * 1e6};
                }
                for (int threads : options.threads) {
                    double cpu = 0;
                    const double rate =
                        measure(threads, per_round, responder_worker(bare_responder), &cpu);
                    Row& b = best[{"responder", threads}];
                    if (rate > b.ops_per_s)
                        b = {"responder", alg, threads, rate, cpu * 1e6};
                }
                // Signet and the peer take turns in each round, under the same load.
                const auto keep_best = [&](const std::string& scenario, int connections,
                                           const LoadResult& r) {
                    Row& b = best[{scenario, connections}];
                    b.verified += r.verified;
                    if (r.tokens_per_s > b.ops_per_s) {
                        const long verified = b.verified;
                        b = {scenario, alg, connections, r.tokens_per_s, r.cpu_us_per_op};
                        b.pg_us_per_op = r.pg_us_per_op;
                        b.p50_ms = r.p50_ms;
                        b.p99_ms = r.p99_ms;
                        b.verified = verified;
                        b.client_us_per_op = r.client_us_per_op;
                        b.switches_per_op = r.switches_per_op;
                    }
                };
                for (int connections : options.connections) {
                    keep_best("tsa", connections,
                              drive(server.http_port(), connections, options.client_threads,
                                    per_round, options.sample, root.get(),
                                    {with_postgres, signet_meter.postgres}));
                    if (peer) {
                        const int peer_pid = peer->pid();
                        keep_best("uts-server", connections,
                                  drive(peer->port(), connections, options.client_threads,
                                        per_round, options.sample, root.get(),
                                        {[peer_pid] { return process_tree_cpu_seconds(peer_pid); },
                                         nullptr}));
                    }
                }
                if (peer_key) {
                    double cpu = 0;
                    const double rate =
                        measure(1, per_round, openssl_sign_worker(peer_key.get()), &cpu);
                    Row& b = best[{"openssl-sign", 1}];
                    if (rate > b.ops_per_s)
                        b = {"openssl-sign", alg, 1, rate, cpu * 1e6};
                }
            }
        } catch (...) {
            server.stop(std::chrono::seconds(1));
            runner.join();
            throw;
        }
        server.stop(std::chrono::seconds(1));
        runner.join();

        for (const std::string scenario :
             {"ceiling", "responder", "tsa", "openssl-sign", "uts-server"}) {
            for (const auto& [key_pair, row] : best) {
                if (key_pair.first != scenario)
                    continue;
                rows.push_back(row);
                if (scenario == "ceiling") {
                    ceiling[alg] = std::max(ceiling[alg], row.ops_per_s);
                    // What one signature costs at the least (no contention between threads).
                    if (ceiling_cpu[alg] == 0 || row.cpu_us_per_op < ceiling_cpu[alg])
                        ceiling_cpu[alg] = row.cpu_us_per_op;
                } else if (scenario == "openssl-sign") {
                    openssl_sign_cpu[alg] = row.cpu_us_per_op;
                }
            }
        }
        const auto stats = journal->stats();
        notes[alg] = std::to_string(stats.writes) + " tokens recorded in " +
                     std::to_string(stats.batches) + " commits (" +
                     std::to_string(stats.batches == 0 ? 0.0
                                                       : static_cast<double>(stats.writes) /
                                                             static_cast<double>(stats.batches))
                         .substr(0, 5) +
                     " per commit), " + std::to_string(stats.failed_writes) + " failed";
    }
    fill_host_cost(rows, ceiling_cpu, openssl_sign_cpu, notes);
    print(rows, ceiling, ceiling_cpu, notes, options.client_threads, options.json);
    return 0;
}

}  // namespace signet::bench
