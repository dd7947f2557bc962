#include "tests/support/signetd.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/support/softhsm.hpp"

extern char** environ;

namespace signet::testing {

namespace {

int connect_loopback(std::uint16_t port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

std::string lower(std::string s) {
    std::ranges::transform(s, s.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

}  // namespace

HttpResponse http_request(std::uint16_t port, const std::string& method, const std::string& target,
                          const std::string& body, const std::string& content_type) {
    HttpResponse response;
    const int fd = connect_loopback(port);
    if (fd < 0)
        return response;
    std::string request =
        method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    if (!content_type.empty())
        request += "Content-Type: " + content_type + "\r\n";
    if (!body.empty() || method == "POST")
        request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    request += "\r\n" + body;
    for (std::size_t sent = 0; sent < request.size();) {
        const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        sent += static_cast<std::size_t>(n);
    }
    std::string raw;
    char buf[8192];
    ssize_t n = 0;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0)
        raw.append(buf, static_cast<std::size_t>(n));
    close(fd);

    const auto header_end = raw.find("\r\n\r\n");
    if (header_end == std::string::npos || raw.size() < 12)
        return response;
    response.status = std::atoi(raw.substr(9, 3).c_str());
    std::size_t line_start = raw.find("\r\n") + 2;
    while (line_start < header_end) {
        const std::size_t line_end = raw.find("\r\n", line_start);
        const std::string line = raw.substr(line_start, line_end - line_start);
        if (const auto colon = line.find(':'); colon != std::string::npos) {
            std::string value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(' '));
            response.headers[lower(line.substr(0, colon))] = value;
        }
        line_start = line_end + 2;
    }
    response.body = raw.substr(header_end + 4);
    if (auto it = response.headers.find("content-length"); it != response.headers.end()) {
        response.body.resize(std::min<std::size_t>(response.body.size(), std::stoul(it->second)));
    }
    return response;
}

std::uint16_t free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        throw std::runtime_error("cannot open a socket to find a free port");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    close(fd);
    if (!ok)
        throw std::runtime_error("cannot find a free port on 127.0.0.1");
    return ntohs(addr.sin_port);
}

SignetdProcess::SignetdProcess(const std::string& extra_yaml, const std::string& extra_listeners)
    : SignetdProcess(SignetdOptions{.extra_yaml = extra_yaml, .extra_listeners = extra_listeners}) {
}

SignetdProcess::SignetdProcess(SignetdOptions options)
    : http_port_(free_port()), softhsm2_conf_(std::move(options.softhsm2_conf)) {
    // The embedded PostgreSQL runs as the postgres user when we are root: it must be able to
    // pass through this directory to reach state/ (search only, no listing).
    std::filesystem::permissions(dir(), std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
    token_label_ = options.token_label.empty()
                       ? SoftHsm::instance().new_token("signetd").token_label
                       : options.token_label;
    const std::filesystem::path pin_file =
        options.pin_file.empty() ? SoftHsm::instance().pin_file() : options.pin_file;
    std::string yaml =
        "state_dir: state\n"
        "listeners:\n  http: {address: 127.0.0.1, port: " +
        std::to_string(http_port_) + "}\n" + options.extra_listeners +
        "hsm:\n  token: " + token_label_ + "\n  pin: file:" + pin_file.string() + "\n";
    if (!options.hsm_module.empty())
        yaml += "  module: " + options.hsm_module.string() + "\n";
    if (!options.database_dsn.empty()) {
        // Quoted: a DSN holds '=' and spaces. The DSNs tests make have no '"' or '\\'.
        yaml += "database:\n  dsn: \"" + options.database_dsn + "\"\n";
    }
    yaml += "logging: {access_log: access.log}\n" + options.extra_yaml;
    write_file(dir() / "signet.yaml", yaml);
}

SignetdProcess::~SignetdProcess() {
    if (pid_ > 0 && !stop_within(SIGTERM, std::chrono::seconds(60))) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
}

void SignetdProcess::start(std::chrono::seconds timeout) {
    const char* binary_dir = std::getenv("SIGNET_BINARY_DIR");
    if (binary_dir == nullptr)
        throw std::runtime_error("SIGNET_BINARY_DIR is not set (run through ctest)");
    const std::string binary = std::string(binary_dir) + "/api/signetd";
    const std::string config = (dir() / "signet.yaml").string();
    const std::string log = (dir() / "signetd.out").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> argv{const_cast<char*>(binary.c_str()), const_cast<char*>("--config"),
                            const_cast<char*>(config.c_str()), nullptr};
    // This process's environment, with SOFTHSM2_CONF replaced when the options name one.
    std::vector<std::string> environment;
    for (char** variable = environ; *variable != nullptr; ++variable) {
        if (softhsm2_conf_.empty() || !std::string_view(*variable).starts_with("SOFTHSM2_CONF="))
            environment.emplace_back(*variable);
    }
    if (!softhsm2_conf_.empty())
        environment.push_back("SOFTHSM2_CONF=" + softhsm2_conf_.string());
    std::vector<char*> envp;
    for (auto& variable : environment)
        envp.push_back(variable.data());
    envp.push_back(nullptr);
    const int rc = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        throw std::runtime_error("cannot start " + binary);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (http_request(http_port_, "GET", "/livez").status == 200)
            return;
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("signetd exited at start:\n" + output());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    throw std::runtime_error("signetd did not answer /livez in time:\n" + output());
}

int SignetdProcess::stop(int signal) {
    if (pid_ <= 0)
        return -1;
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::optional<int> SignetdProcess::stop_within(int signal, std::chrono::milliseconds bound) {
    if (pid_ <= 0)
        return -1;
    kill(pid_, signal);
    const auto deadline = std::chrono::steady_clock::now() + bound;
    for (;;) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        if (std::chrono::steady_clock::now() >= deadline)
            return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

std::string SignetdProcess::output() const {
    try {
        return read_file(dir() / "signetd.out");
    } catch (const std::exception&) {
        return "";
    }
}

}  // namespace signet::testing
