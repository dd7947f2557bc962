#include "store/notifications.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "common/error.hpp"

namespace signet::store {

namespace {

using namespace std::chrono_literals;

constexpr auto kFirstBackoff = 100ms;
constexpr auto kMaxBackoff = 5000ms;
constexpr auto kConnectTimeout = 10s;
// How long the thread sleeps in poll() between checks that the connection is still there when
// nothing arrives. A lost TCP peer is noticed by the keepalives below; a terminated backend
// closes the socket and wakes the poll at once.
constexpr auto kIdleWait = 1000ms;

std::string one_line(const char* message) {
    std::string text = message ? message : "";
    std::replace(text.begin(), text.end(), '\n', ' ');
    while (!text.empty() && text.back() == ' ')
        text.pop_back();
    return text;
}

}  // namespace

NotificationListener::NotificationListener(std::string dsn, std::string channel,
                                           Callbacks callbacks)
    : dsn_(std::move(dsn)),
      channel_(std::move(channel)),
      redactor_(dsn_),
      callbacks_(std::move(callbacks)) {
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0)
        throw Error(Errc::internal, "pipe2: " + std::system_category().message(errno));
    thread_ = std::thread([this] { run(); });
}

NotificationListener::~NotificationListener() {
    stop();
    ::close(wake_[0]);
    ::close(wake_[1]);
}

void NotificationListener::stop() noexcept {
    if (!stopping_.exchange(true)) {
        const char byte = 0;
        [[maybe_unused]] auto n = ::write(wake_[1], &byte, 1);
    }
    if (thread_.joinable())
        thread_.join();
}

bool NotificationListener::wait_until_listening(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return listening_changed_.wait_for(lock, timeout, [this] { return listening_.load(); });
}

bool NotificationListener::wait(int fd, short events, std::chrono::milliseconds timeout) {
    pollfd fds[2] = {{wake_[0], POLLIN, 0}, {fd, events, 0}};
    const int n = ::poll(fds, fd >= 0 ? 2 : 1, static_cast<int>(timeout.count()));
    if (n < 0 && errno != EINTR)
        return false;
    return !stopping_.load();
}

PgConnPtr NotificationListener::connect(std::string& error) {
    // The pool's TCP keepalives (store/database.cpp), so a dead peer is noticed within a minute.
    const char* keywords[] = {"fallback_application_name", "keepalives_idle", "keepalives_interval",
                              "keepalives_count",          "dbname",          nullptr};
    const char* values[] = {"signet-listener", "30", "10", "3", dsn_.c_str(), nullptr};
    PgConnPtr conn(PQconnectStartParams(keywords, values, 1));
    if (!conn || PQstatus(conn.get()) == CONNECTION_BAD) {
        error = conn ? one_line(PQerrorMessage(conn.get())) : "out of memory";
        return nullptr;
    }
    // Non-blocking connect (libpq's PQconnectPoll protocol), so stop() is never stuck behind it.
    const auto deadline = std::chrono::steady_clock::now() + kConnectTimeout;
    PostgresPollingStatusType state = PGRES_POLLING_WRITING;
    while (state != PGRES_POLLING_OK) {
        if (state == PGRES_POLLING_FAILED) {
            error = one_line(PQerrorMessage(conn.get()));
            return nullptr;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left <= 0ms) {
            error = "timed out connecting";
            return nullptr;
        }
        const short events = state == PGRES_POLLING_READING ? POLLIN : POLLOUT;
        if (!wait(PQsocket(conn.get()), events, left))
            return nullptr;
        state = PQconnectPoll(conn.get());
    }
    // A server's NOTICE or its goodbye ("terminating connection...") is not for stderr: the
    // loss itself is reported through on_error.
    PQsetNoticeProcessor(
        conn.get(), [](void*, const char*) {}, nullptr);
    // The channel is an identifier: quoted, so any name is safe.
    const std::unique_ptr<char, decltype(&PQfreemem)> quoted(
        PQescapeIdentifier(conn.get(), channel_.data(), channel_.size()), &PQfreemem);
    if (!quoted) {
        error = one_line(PQerrorMessage(conn.get()));
        return nullptr;
    }
    const std::string listen = std::string("LISTEN ") + quoted.get();
    PgResultPtr result(PQexec(conn.get(), listen.c_str()));
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
        error = one_line(PQerrorMessage(conn.get()));
        return nullptr;
    }
    if (PQsetnonblocking(conn.get(), 1) != 0) {
        error = one_line(PQerrorMessage(conn.get()));
        return nullptr;
    }
    return conn;
}

void NotificationListener::run() {
    auto backoff = kFirstBackoff;
    bool lost_before = false;
    while (!stopping_.load()) {
        std::string error;
        PgConnPtr conn = connect(error);
        if (!conn) {
            if (stopping_.load())
                break;
            if (callbacks_.on_error)
                callbacks_.on_error(redactor_.redact("cannot listen: " + error));
            lost_before = true;
            if (!wait(-1, 0, backoff))
                break;
            backoff = std::min(backoff * 2, kMaxBackoff);
            continue;
        }
        backoff = kFirstBackoff;
        connections_.fetch_add(1);
        {
            std::lock_guard lock(mutex_);
            listening_.store(true);
        }
        listening_changed_.notify_all();
        if (lost_before && callbacks_.on_reconnect) {
            try {
                callbacks_.on_reconnect();
            } catch (...) {
            }
        }
        // Listen until the connection breaks or stop().
        for (;;) {
            if (!wait(PQsocket(conn.get()), POLLIN, kIdleWait))
                break;
            if (PQconsumeInput(conn.get()) == 0 || PQstatus(conn.get()) != CONNECTION_OK) {
                error = one_line(PQerrorMessage(conn.get()));
                break;
            }
            while (PGnotify* n = PQnotifies(conn.get())) {
                const std::unique_ptr<PGnotify, decltype(&PQfreemem)> owned(n, &PQfreemem);
                if (callbacks_.on_notification) {
                    try {
                        callbacks_.on_notification(n->extra ? n->extra : "");
                    } catch (...) {
                    }
                }
            }
        }
        listening_.store(false);
        if (stopping_.load())
            break;
        if (callbacks_.on_error)
            callbacks_.on_error(redactor_.redact("connection lost: " + error));
        lost_before = true;
    }
    listening_.store(false);
}

}  // namespace signet::store
