#include "ops/bench_tsa_peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fcntl.h>
#include <string>
#include <thread>
#include <vector>

#include "ca/x509.hpp"
#include "common/error.hpp"
#include "tests/support/process.hpp"
#include "tests/support/signetd.hpp"

namespace signet::bench {

namespace {

bool accepts_connections(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

std::string private_key_pem(const EVP_PKEY* key) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        throw_openssl_error("cannot write the peer's key as PEM");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

// The build's last lines: what failed, without the whole log.
std::string tail(const std::string& text, std::size_t lines) {
    std::size_t at = text.size();
    for (std::size_t n = 0; n <= lines && at != std::string::npos && at > 0; ++n)
        at = text.rfind('\n', at - 1);
    return at == std::string::npos ? text : text.substr(at + 1);
}

std::filesystem::path build(const std::filesystem::path& source, const std::filesystem::path& build_dir) {
    if (!std::filesystem::exists(source / "CMakeLists.txt") ||
        !std::filesystem::exists(source / "src" / "cmd" / "uts-server.c"))
        throw Error(Errc::invalid_argument,
                    "--uts-server " + source.string() +
                        ": not a checkout of uts-server's source (github.com/kakwa/uts-server: "
                        "CMakeLists.txt and src/cmd/uts-server.c)");
    // One build serves every key type of a run.
    if (std::filesystem::exists(build_dir / "uts-server"))
        return build_dir / "uts-server";
    auto configured = testing::run_command({"cmake", "-S", source.string(), "-B",
                                            build_dir.string(), "-DCMAKE_BUILD_TYPE=Release",
                                            "-DBUNDLE_CIVETWEB=OFF"});
    if (configured.exit_code == 0)
        configured = testing::run_command({"cmake", "--build", build_dir.string(), "--parallel"});
    if (configured.exit_code != 0)
        throw Error(Errc::unavailable,
                    "uts-server does not build from " + source.string() +
                        " (it needs Debian's libcivetweb-dev, cmake and a C compiler):\n" +
                        tail(configured.output, 15));
    return build_dir / "uts-server";
}

// An OpenSSL TS configuration (openssl.cnf's [tsa] keys, which uts-server reads with TS_CONF_*)
// as close to the benchmark's Signet TSA as uts-server allows: SHA-256 imprints, the TSA name, no
// ordering, no certificate but the TSA's on certReq (the benchmark's TSA has no chain either),
// and no per-token log line.
std::string configuration(const std::filesystem::path& work, std::uint16_t port, int threads) {
    const std::string dir = work.string();
    return "[ oids ]\n"
           "bench_policy = 1.3.6.1.4.1.4146.1.2.3\n"
           "[ main ]\n"
           "listening_ports = 127.0.0.1:" + std::to_string(port) + "\n"
           "enable_keep_alive = yes\n"
           "num_threads = " + std::to_string(threads) + "\n"
           "throttle = *=0\n"
           "request_timeout_ms = 30000\n"
           "tcp_nodelay = 1\n"
           "log_level = err\n"
           "log_to_syslog = no\n"
           "[ tsa ]\n"
           "signer_cert = " + dir + "/uts-tsa.pem\n"
           "signer_key = " + dir + "/uts-tsa.key\n"
           "default_policy = bench_policy\n"
           "digests = sha256, sha384, sha512\n"
           "accuracy = secs:1\n"
           "clock_precision_digits = 0\n"
           "ordering = no\n"
           "tsa_name = yes\n"
           "ess_cert_id_chain = no\n";
}

// SIGTERM, then SIGKILL if it has not ended within 5 s: a peer that hangs in its shutdown does
// not hang the benchmark.
void stop(pid_t& pid) noexcept {
    if (pid <= 0)
        return;
    ::kill(pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100; ++i) {
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            pid = -1;
            return;
        }
        ::usleep(50'000);
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    pid = -1;
}

// The peer as a child that dies with the benchmark (PR_SET_PDEATHSIG: an interrupted run leaves
// no server behind), its output in `log`, and none of the benchmark's descriptors (the listener,
// PostgreSQL's and SoftHSM's files) open in it.
pid_t start_process(const std::vector<std::string>& argv, const std::string& log) {
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0)
        throw Error(Errc::unavailable, "cannot start " + argv[0]);
    if (pid == 0) {
        // Only async-signal-safe calls from here on.
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent)
            ::_exit(127);
        const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (out < 0 || ::dup2(out, STDOUT_FILENO) < 0 || ::dup2(out, STDERR_FILENO) < 0)
            ::_exit(127);
        ::close_range(3, ~0U, 0);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    return pid;
}

}  // namespace

UtsServerPeer::UtsServerPeer(const std::filesystem::path& source, const std::filesystem::path& work,
                             const X509* certificate, const EVP_PKEY* key, int threads) {
    const std::filesystem::path program = build(source, work.parent_path() / "uts-build");
    testing::write_file(work / "uts-tsa.pem", ca::certificate_pem(certificate));
    testing::write_file(work / "uts-tsa.key", private_key_pem(key));
    std::filesystem::permissions(work / "uts-tsa.key", std::filesystem::perms::owner_read |
                                                           std::filesystem::perms::owner_write);
    const std::string log = (work / "uts-server.log").string();
    const std::string config = (work / "uts-server.cnf").string();
    // The free port may be taken by someone else before uts-server binds it: try a few.
    for (int attempt = 1;; ++attempt) {
        port_ = testing::free_port();
        testing::write_file(work / "uts-server.cnf", configuration(work, port_, threads));
        pid_ = start_process({program.string(), "-c", config}, log);
        // Bounded generously: a start takes milliseconds; this keeps a broken one from hanging.
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        bool stopped = false;
        while (!accepts_connections(port_)) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                stopped = true;
                break;
            }
            if (std::chrono::steady_clock::now() > until) {
                stop(pid_);
                throw Error(Errc::unavailable, "uts-server does not listen on port " +
                                                   std::to_string(port_) + " after 30 s (" + log + ")");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        if (!stopped)
            return;
        if (attempt == 3)
            throw Error(Errc::unavailable,
                        "uts-server stopped at start:\n" + tail(testing::read_file(log), 15));
    }
}

UtsServerPeer::~UtsServerPeer() { stop(pid_); }

}  // namespace signet::bench
