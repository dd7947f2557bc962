// signet-bench: Signet's own benchmark (ops/bench). Every figure is reported as a ratio to a
// ceiling measured in the same run: for the HSM, its highest raw C_Sign rate over thread counts.
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "common/handle.hpp"
#include "hsm/bridge.hpp"
#include "hsm/token.hpp"
#include "tests/support/softhsm.hpp"

namespace {

using namespace signet;
using namespace signet::hsm;
using Clock = std::chrono::steady_clock;

const char* const kUsage =
    R"(usage: signet-bench hsm [--json] [--seconds S] [--rounds R] [--threads N,N,...] [--alg A]
                         [--module PATH --token LABEL --pin file:PATH|env:VAR]

Scenarios of 'hsm', for ec-p256 and rsa-2048:
  ceiling   raw C_SignInit+C_Sign per second, one session per thread (the HSM's own rate)
  signer    signatures per second through hsm::Signer (session pool, DER encoding)
  bridge    EVP_DigestSign per second through the OpenSSL provider bridge
  user-key  unwrap + sign + destroy per second for a wrapped user key
Each row's ratio is to the best ceiling rate of the same algorithm over all thread counts.
Scenarios are measured interleaved in R rounds (default 3) of S/R seconds (S default 6) each,
and each keeps its best round.
Without --module, a throwaway SoftHSM token is created in a temporary directory.
)";

struct Options {
    bool json = false;
    double seconds = 6.0;  // per scenario and thread count, split over the rounds
    int rounds = 3;
    std::vector<int> threads;
    std::vector<KeyType> algs{KeyType::ec_p256, KeyType::rsa_2048};
    std::optional<TokenConfig> token;
};

struct Row {
    std::string scenario;
    std::string alg;
    int threads;
    double ops_per_s;
};

// Runs each thread's operation for a warm-up (caches, sessions, CPU frequency), then counts the
// operations completed in the next `seconds`; returns operations per second.
double measure(int threads, double seconds,
               const std::function<std::function<void()>()>& make_worker) {
    std::vector<std::function<void()>> workers;
    for (int t = 0; t < threads; ++t)
        workers.push_back(make_worker());
    const auto warmup = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(std::min(0.5, seconds / 4)));
    const auto window =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    const auto count_from = Clock::now() + std::chrono::milliseconds(50) + warmup;
    const auto count_until = count_from + window;
    std::atomic<long> total{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            auto& work = workers[static_cast<std::size_t>(t)];
            long count = 0;
            for (auto now = Clock::now(); now < count_until; now = Clock::now()) {
                work();
                if (now >= count_from)
                    ++count;
            }
            total += count;
        });
    }
    for (auto& thread : pool)
        thread.join();
    return static_cast<double>(total.load()) / seconds;
}

CK_OBJECT_HANDLE find_private_key(Token& token, const std::string& label) {
    const auto& api = token.module().api();
    return token.run([&](CK_SESSION_HANDLE s) {
        CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
        CK_ATTRIBUTE query[] = {{CKA_CLASS, &cls, sizeof cls},
                                {CKA_LABEL, const_cast<char*>(label.data()), label.size()}};
        check_rv(api.C_FindObjectsInit(s, query, 2), "C_FindObjectsInit");
        CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
        CK_ULONG count = 0;
        const CK_RV rv = api.C_FindObjects(s, &key, 1, &count);
        api.C_FindObjectsFinal(s);
        check_rv(rv, "C_FindObjects");
        if (count != 1)
            throw Error(Errc::not_found, "benchmark key '" + label + "' not found");
        return key;
    });
}

// The ceiling: the bare PKCS#11 calls on a session of the thread's own, nothing of Signet's.
std::function<std::function<void()>()> raw_sign_worker(Token& token, CK_OBJECT_HANDLE key,
                                                       KeyType type) {
    return [&token, key, type] {
        const auto& api = token.module().api();
        CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
        check_rv(api.C_OpenSession(token.info().slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr,
                                   nullptr, &session),
                 "C_OpenSession");
        // RSA signs a SHA-256 DigestInfo (51 bytes), ECDSA the bare digest: what Signet sends.
        auto input = std::make_shared<Bytes>(is_ec(type) ? 32 : 51, std::uint8_t{0x5a});
        auto signature = std::make_shared<Bytes>(512);
        auto owner =
            std::shared_ptr<void>(nullptr, [&api, session](void*) { api.C_CloseSession(session); });
        return std::function<void()>([&api, session, key, type, input, signature, owner] {
            CK_MECHANISM mechanism{is_ec(type) ? CKM_ECDSA : CKM_RSA_PKCS, nullptr, 0};
            CK_ULONG size = signature->size();
            check_rv(api.C_SignInit(session, &mechanism, key), "C_SignInit");
            check_rv(api.C_Sign(session, input->data(), input->size(), signature->data(), &size),
                     "C_Sign");
        });
    };
}

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
        else if (arg == "--rounds") {
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

void print(const std::vector<Row>& rows, const std::map<std::string, double>& ceiling, bool json) {
    if (json) {
        for (const auto& row : rows) {
            const double c = ceiling.at(row.alg);
            std::printf(
                "{\"bench\":\"hsm\",\"scenario\":\"%s\",\"alg\":\"%s\",\"threads\":%d,"
                "\"ops_per_s\":%.1f,\"ceiling_ops_per_s\":%.1f,\"ratio\":%.3f}\n",
                row.scenario.c_str(), row.alg.c_str(), row.threads, row.ops_per_s, c,
                row.ops_per_s / c);
        }
        return;
    }
    std::printf("%-10s %-9s %7s %12s %12s %7s\n", "scenario", "alg", "threads", "ops/s", "ceiling",
                "ratio");
    for (const auto& row : rows) {
        const double c = ceiling.at(row.alg);
        std::printf("%-10s %-9s %7d %12.1f %12.1f %7.3f\n", row.scenario.c_str(), row.alg.c_str(),
                    row.threads, row.ops_per_s, c, row.ops_per_s / c);
    }
    // Each scenario at its best thread count, against the ceiling at its best.
    std::map<std::pair<std::string, std::string>, const Row*> best;
    for (const auto& row : rows) {
        const Row*& b = best[{row.alg, row.scenario}];
        if (b == nullptr || row.ops_per_s > b->ops_per_s)
            b = &row;
    }
    std::printf("\nbest over thread counts:\n");
    for (const auto& [key, row] : best) {
        std::printf("%-10s %-9s %7d %12.1f %12.1f %7.3f\n", row->scenario.c_str(), row->alg.c_str(),
                    row->threads, row->ops_per_s, ceiling.at(row->alg),
                    row->ops_per_s / ceiling.at(row->alg));
    }
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
    print(rows, ceiling, options.json);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
        std::cout << kUsage;
        return argc < 2 ? 2 : 0;
    }
    try {
        const std::string what = argv[1];
        if (what != "hsm") {
            throw Error(Errc::invalid_argument,
                        "unknown benchmark '" + what + "' (this build has: hsm)");
        }
        return bench_hsm(parse_options(argc, argv));
    } catch (const Error& e) {
        std::cerr << "signet-bench: " << e.what() << "\n";
        return e.code() == Errc::invalid_argument ? 2 : 1;
    }
}
