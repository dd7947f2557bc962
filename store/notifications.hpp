#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "store/database.hpp"

namespace signet::store {

// PostgreSQL LISTEN on one channel (DESIGN.md, scale-out: how a revocation on one node reaches
// every node's OCSP source). A connection of its own, not the pool's: a LISTEN lasts as long as
// its session, and a pooled connection is handed to others. Its thread waits with poll(2) on the
// connection's socket and on a wake-up pipe (so stop() is prompt even mid-connect), delivers each
// payload to `on_notification`, and when the connection is lost (the server restarted, the
// backend terminated, the network gone) reconnects with backoff (100 ms doubling to 5 s) and then
// calls `on_reconnect`, because NOTIFYs sent while nobody listened are gone for good: the owner
// reloads what it may have missed. Both callbacks run on the listener's thread; an exception
// from them is swallowed (the listener must keep listening).
class NotificationListener {
  public:
    struct Callbacks {
        std::function<void(std::string_view payload)> on_notification;
        std::function<void()> on_reconnect{};  // after a lost connection came back
        std::function<void(std::string_view reason)> on_error{};  // for the owner's log
    };

    // `dsn`: what the Database connects with (DatabaseOptions::dsn; the embedded cluster's
    // EmbeddedPostgres::dsn). `channel`: an identifier, quoted as such. Starts listening at once
    // (see wait_until_listening).
    NotificationListener(std::string dsn, std::string channel, Callbacks callbacks);
    NotificationListener(const NotificationListener&) = delete;
    NotificationListener& operator=(const NotificationListener&) = delete;
    ~NotificationListener();  // stop()

    // Joins the thread; no callback runs after it returns. Idempotent.
    void stop() noexcept;
    // Whether the LISTEN is in effect now.
    bool listening() const noexcept { return listening_.load(); }
    // Waits until the LISTEN is in effect (a NOTIFY sent after it returns true is delivered).
    bool wait_until_listening(std::chrono::milliseconds timeout);
    // Connections made so far (1 after the first; each reconnection adds one).
    std::uint64_t connections() const noexcept { return connections_.load(); }

  private:
    void run();
    // Connects and LISTENs; null when stopped or failed (the reason in `error`).
    PgConnPtr connect(std::string& error);
    // Waits for the socket (or only the wake-up pipe when fd < 0) up to `timeout`; false when
    // stopping.
    bool wait(int fd, short events, std::chrono::milliseconds timeout);

    std::string dsn_;
    std::string channel_;
    DsnRedactor redactor_;  // libpq's messages may quote what the password equals
    Callbacks callbacks_;
    int wake_[2] = {-1, -1};
    std::atomic<bool> stopping_{false};
    std::atomic<bool> listening_{false};
    std::atomic<std::uint64_t> connections_{0};
    std::mutex mutex_;
    std::condition_variable listening_changed_;
    std::thread thread_;
};

}  // namespace signet::store
