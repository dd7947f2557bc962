#pragma once

// The session pool behind hsm::Token (internal to hsm/).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/secret.hpp"
#include "hsm/module.hpp"

namespace signet::hsm {

// A pooled session as an operation sees it. `generation` is the pool's generation when the
// session was opened: handles found through it (key objects) are good for that generation.
struct Lease {
    SessionTicket session;
    std::uint64_t generation = 0;
};

struct PoolOptions {
    std::size_t size = 8;
    std::chrono::milliseconds session_wait{5000};    // longest wait for a free session
    std::chrono::milliseconds retry_interval{1000};  // between tries of an HSM that went away
};

// The HSM as the pool last saw it, for /healthz.
struct HsmState {
    bool up = true;
    std::string detail;  // why it is down (the PKCS#11 function and CKR_ name); no secrets
};

// Logged-in sessions on one token, shared by every thread.
//
// A lost HSM (token removed, module reset, network HSM restarted) kills every session at once;
// the first operation to see it bumps the generation: idle sessions are closed, sessions in use
// are closed when they come back instead of being reused, and the operation runs once more on a
// fresh session, logged in again. If that fails too, the HSM is down: operations fail at once
// with Errc::unavailable, without touching the module, and every retry_interval one operation
// tries it again; the first that succeeds brings it back up.
class SessionPool {
  public:
    SessionPool(const Module& module, CK_SLOT_ID slot, std::string label, Secret pin,
                std::string pin_description, PoolOptions options);
    SessionPool(const SessionPool&) = delete;
    SessionPool& operator=(const SessionPool&) = delete;
    ~SessionPool();

    // Runs `operation` on a session (see the class comment). Errc::unavailable when no session
    // is free within session_wait, or while the HSM is down.
    void run(const std::function<void(const Lease&)>& operation);

    HsmState state() const;
    std::uint64_t sessions_replaced() const noexcept;

    // A pool of its own on the same token and PIN (the PIN copied from secure memory to secure
    // memory), for work that must not queue behind this pool's.
    std::unique_ptr<SessionPool> sibling(PoolOptions options) const;

  private:
    // Throws Errc::unavailable while the HSM is down and it is not yet time to try it; true when
    // this call is that try.
    bool admit();
    void came_back();
    [[noreturn]] void went_down(const Error& cause);

    Lease acquire();
    Lease open_session(std::uint64_t generation);
    void release(const Lease& lease);
    void discard(const Lease& lease, bool already_closed);
    // Starts a new generation after a loss: the idle sessions (and `lease`, unless the module
    // already closed it) go into `to_close`, which run() closes on its way out, after it has
    // retried and, if the HSM is still away, said so (went_down): closing a dead session can
    // block for a network HSM's timeout, and meanwhile the others already get "unavailable".
    void lost(const Lease* lease, CK_RV rv, std::vector<Lease>& to_close);

    const Module& module_;
    const CK_FUNCTION_LIST& api_;
    const CK_SLOT_ID slot_;
    const std::string label_;
    const Secret pin_;  // kept to log in again after a token reset; wiped with the pool
    const std::string pin_description_;
    const PoolOptions options_;

    mutable std::mutex mutex_;
    std::condition_variable session_returned_;
    std::vector<Lease> idle_;
    std::size_t open_ = 0;  // idle, in use and being opened
    std::uint64_t generation_ = 0;
    std::uint64_t replaced_ = 0;

    // The HSM's state (under mutex_).
    bool down_ = false;
    bool probing_ = false;
    std::string down_detail_;
    std::chrono::steady_clock::time_point next_try_{};
    std::string login_refused_;  // a wrong PIN at a new login: never tried again
};

}  // namespace signet::hsm
