#pragma once

// A small HTTP/1.1 SMS gateway on loopback for the SMS tests: it records each request and
// answers as its script says (200, 500, 400, or never: it holds the connection open without an
// answer until stopped). One connection at a time, "Connection: close".

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace signet::testing {

class FakeSmsGateway {
  public:
    enum class Reply { ok, server_error, bad_request, hang };

    struct Request {
        std::string method;
        std::string target;
        std::map<std::string, std::string> headers;  // names in lower case
        std::string body;
    };

    // Connection k gets script[k]; once the script is used up, its last reply again.
    explicit FakeSmsGateway(std::vector<Reply> script);
    FakeSmsGateway(const FakeSmsGateway&) = delete;
    FakeSmsGateway& operator=(const FakeSmsGateway&) = delete;
    ~FakeSmsGateway();

    std::string url() const;
    std::vector<Request> requests() const;

    // A loopback port nothing listens on (bound, then closed).
    static int unused_port();

  private:
    void serve();
    void handle(int connection, Reply reply);

    std::vector<Reply> script_;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;
    std::condition_variable stopped_;
    std::vector<Request> requests_;
    std::thread thread_;
};

}  // namespace signet::testing
