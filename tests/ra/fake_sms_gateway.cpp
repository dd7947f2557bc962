// A loopback SMS gateway for the tests (tests/ra/fake_sms_gateway.hpp): plain sockets, one
// connection at a time.
#include "tests/ra/fake_sms_gateway.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace signet::testing {

namespace {

int loopback_listener(int& port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        throw std::runtime_error("socket failed");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 || ::listen(fd, 8) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot listen on loopback");
    }
    port = ntohs(address.sin_port);
    return fd;
}

std::string lower(std::string text) {
    std::ranges::transform(text, text.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return text;
}

// Reads one request (headers, then Content-Length bytes of body); false if the peer went away.
bool read_request(int fd, FakeSmsGateway::Request& request) {
    std::string data;
    char buffer[4096];
    std::size_t header_end = std::string::npos;
    std::size_t content_length = 0;
    for (;;) {
        if (header_end == std::string::npos) {
            header_end = data.find("\r\n\r\n");
            if (header_end != std::string::npos) {
                std::size_t line_end = data.find("\r\n");
                const std::string first = data.substr(0, line_end);
                request.method = first.substr(0, first.find(' '));
                request.target = first.substr(first.find(' ') + 1,
                                              first.rfind(' ') - first.find(' ') - 1);
                while (line_end < header_end) {
                    const std::size_t next = data.find("\r\n", line_end + 2);
                    const std::string line = data.substr(line_end + 2, next - line_end - 2);
                    const std::size_t colon = line.find(':');
                    if (colon != std::string::npos) {
                        std::string value = line.substr(colon + 1);
                        value.erase(0, value.find_first_not_of(' '));
                        request.headers[lower(line.substr(0, colon))] = value;
                    }
                    line_end = next;
                }
                if (request.headers.contains("content-length"))
                    content_length = std::stoul(request.headers["content-length"]);
            }
        }
        if (header_end != std::string::npos && data.size() >= header_end + 4 + content_length) {
            request.body = data.substr(header_end + 4, content_length);
            return true;
        }
        const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
        if (got <= 0)
            return false;
        data.append(buffer, static_cast<std::size_t>(got));
    }
}

void send_all(int fd, const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
        const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        sent += static_cast<std::size_t>(n);
    }
}

}  // namespace

FakeSmsGateway::FakeSmsGateway(std::vector<Reply> script) : script_(std::move(script)) {
    listener_ = loopback_listener(port_);
    thread_ = std::thread([this] { serve(); });
}

FakeSmsGateway::~FakeSmsGateway() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    stopped_.notify_all();
    thread_.join();
    ::close(listener_);
}

std::string FakeSmsGateway::url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/v1/sms?key=k";
}

std::vector<FakeSmsGateway::Request> FakeSmsGateway::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

int FakeSmsGateway::unused_port() {
    int port = 0;
    ::close(loopback_listener(port));
    return port;
}

void FakeSmsGateway::serve() {
    std::size_t served = 0;
    while (!stopping_) {
        pollfd waiting{listener_, POLLIN, 0};
        if (::poll(&waiting, 1, 20) <= 0)
            continue;
        const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (connection < 0)
            continue;
        const Reply reply = script_.empty() ? Reply::ok
                                            : script_[std::min(served, script_.size() - 1)];
        ++served;
        handle(connection, reply);
        ::close(connection);
    }
}

void FakeSmsGateway::handle(int connection, Reply reply) {
    Request request;
    if (!read_request(connection, request))
        return;
    {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
    }
    std::string status;
    std::string body;
    switch (reply) {
        case Reply::ok:
            status = "200 OK";
            body = R"({"status":"queued","id":"m-1","echo":"code 424242"})";
            break;
        case Reply::server_error:
            status = "500 Internal Server Error";
            body = R"({"error":"try later"})";
            break;
        case Reply::bad_request:
            status = "400 Bad Request";
            body = R"({"error":"bad number"})";
            break;
        case Reply::hang: {
            // Holds the connection without answering until the gateway is stopped.
            std::unique_lock lock(mutex_);
            stopped_.wait(lock, [this] { return stopping_.load(); });
            return;
        }
    }
    send_all(connection, "HTTP/1.1 " + status +
                             "\r\nContent-Type: application/json\r\nConnection: close\r\n"
                             "Content-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body);
}

}  // namespace signet::testing
