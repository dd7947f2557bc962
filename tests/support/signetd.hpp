#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "tests/support/process.hpp"

namespace signet::testing {

// A response as a test sees it.
struct HttpResponse {
    int status = 0;
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
};

// One HTTP/1.1 request over a fresh loopback connection (plain HTTP); status 0 when the
// connection failed.
HttpResponse http_request(std::uint16_t port, const std::string& method, const std::string& target,
                          const std::string& body = "", const std::string& content_type = "");

// A free TCP port on 127.0.0.1 (bound once and released).
std::uint16_t free_port();

// What a SignetdProcess runs on. The defaults make a node of its own: a fresh SoftHSM token
// and the embedded PostgreSQL under its state directory. Naming an existing token and an
// external database instead lets several processes share both, as the nodes of a cluster do.
struct SignetdOptions {
    std::string extra_yaml{};       // appended to the minimal settings
    std::string extra_listeners{};  // inside `listeners:` after the HTTP one (e.g. "  https: ...")
    // An existing token's label (empty: a fresh token) and the file holding its user PIN
    // (empty: SoftHsm's PIN file).
    std::string token_label{};
    std::filesystem::path pin_file{};
    // SOFTHSM2_CONF for the child (empty: inherited; SoftHsm::instance() sets it in this
    // process, so tokens made here are found).
    std::filesystem::path softhsm2_conf{};
    // database.dsn (empty: signetd runs its embedded cluster under its state directory).
    std::string database_dsn{};
    // hsm.module (empty: signetd's default, SoftHSM), e.g. tests/support/faulty_pkcs11.
    std::filesystem::path hsm_module{};
};

// A signetd process: a state directory of its own, started with a signet.yaml written from the
// options. Stopped with SIGTERM when the object goes.
class SignetdProcess {
  public:
    explicit SignetdProcess(SignetdOptions options);
    // A node of its own with `extra_yaml` and `extra_listeners` (see SignetdOptions).
    explicit SignetdProcess(const std::string& extra_yaml = "",
                            const std::string& extra_listeners = "");
    SignetdProcess(const SignetdProcess&) = delete;
    SignetdProcess& operator=(const SignetdProcess&) = delete;
    ~SignetdProcess();

    // Starts it and waits until GET /livez answers (or throws with its output).
    void start(std::chrono::seconds timeout = std::chrono::seconds(60));
    // Sends `signal` and waits for the exit; returns the exit status.
    int stop(int signal = 15);
    // The same, waiting at most `bound`: nullopt if it still runs then (it is left running; the
    // destructor kills it).
    std::optional<int> stop_within(int signal, std::chrono::milliseconds bound);

    std::uint16_t http_port() const noexcept { return http_port_; }
    pid_t pid() const noexcept { return pid_; }
    const std::filesystem::path& dir() const noexcept { return dir_.path(); }
    std::filesystem::path state_dir() const { return dir_.path() / "state"; }
    std::filesystem::path config_file() const { return dir_.path() / "signet.yaml"; }
    const std::string& token_label() const noexcept { return token_label_; }
    std::string output() const;  // what it printed so far

  private:
    TempDir dir_{"signet-signetd"};
    std::uint16_t http_port_;
    std::string token_label_;
    std::filesystem::path softhsm2_conf_;
    pid_t pid_ = -1;
};

}  // namespace signet::testing
