#include "hsm/session_pool.hpp"

#include <vector>

#include "common/error.hpp"
#include "hsm/pkcs11.hpp"

namespace signet::hsm {

namespace {

bool is_lost(const Error& e) {
    return e.pkcs11() && is_session_lost(e.pkcs11()->rv);
}

std::string milliseconds(std::chrono::milliseconds ms) {
    return std::to_string(ms.count()) + " ms";
}

}  // namespace

SessionPool::SessionPool(const Module& module, CK_SLOT_ID slot, std::string label, Secret pin,
                         std::string pin_description, PoolOptions options)
    : module_(module),
      api_(module.api()),
      slot_(slot),
      label_(std::move(label)),
      pin_(std::move(pin)),
      pin_description_(std::move(pin_description)),
      options_(options) {}

SessionPool::~SessionPool() {
    std::lock_guard lock(mutex_);
    for (const Lease& lease : idle_)
        module_.close_session(lease.session);
}

void SessionPool::run(const std::function<void(const Lease&)>& operation) {
    // While the HSM is down, only the one call trying it again gets through, with one attempt.
    const bool probe = admit();
    std::vector<Lease> dead;  // sessions found lost: closed last (see lost())
    struct CloseOnExit {
        const Module& module;
        std::vector<Lease>& leases;
        ~CloseOnExit() {
            for (const Lease& lease : leases)
                module.close_session(lease.session);
        }
    } close_dead{module_, dead};
    for (int attempt = 0;; ++attempt) {
        const bool last = probe || attempt > 0;
        Lease lease;
        try {
            lease = acquire();
        } catch (const Error& e) {
            if (!is_lost(e)) {
                if (probe)
                    came_back();  // the HSM answered (or no session was free): not a loss
                throw;
            }
            lost(nullptr, e.pkcs11()->rv, dead);
            if (last)
                went_down(e);
            continue;
        }
        try {
            operation(lease);
        } catch (const Error& e) {
            if (is_lost(e)) {
                lost(&lease, e.pkcs11()->rv, dead);
                if (last)
                    went_down(e);
                continue;
            }
            // After an HSM error the session may be mid-operation: never hand it out again.
            if (e.code() == Errc::hsm || e.code() == Errc::unavailable)
                discard(lease, false);
            else
                release(lease);
            came_back();
            throw;
        } catch (...) {
            release(lease);
            came_back();
            throw;
        }
        release(lease);
        came_back();
        return;
    }
}

std::unique_ptr<SessionPool> SessionPool::sibling(PoolOptions options) const {
    return std::make_unique<SessionPool>(module_, slot_, label_, Secret(pin_.view()),
                                         pin_description_, options);
}

bool SessionPool::admit() {
    std::lock_guard lock(mutex_);
    if (!login_refused_.empty()) {
        throw Error(Errc::unavailable, "HSM token '" + label_ + "' refused the PIN from " +
                                           pin_description_ + " (" + login_refused_ +
                                           "); it is not tried again, a token locks itself "
                                           "after a few wrong PINs");
    }
    if (!down_)
        return false;
    if (probing_ || std::chrono::steady_clock::now() < next_try_) {
        throw Error(Errc::unavailable, "HSM token '" + label_ + "' is unavailable (" +
                                           down_detail_ + "); tried again every " +
                                           milliseconds(options_.retry_interval));
    }
    probing_ = true;
    return true;
}

void SessionPool::came_back() {
    std::lock_guard lock(mutex_);
    down_ = false;
    probing_ = false;
    down_detail_.clear();
}

void SessionPool::went_down(const Error& cause) {
    {
        std::lock_guard lock(mutex_);
        down_ = true;
        probing_ = false;
        down_detail_ = cause.what();
        next_try_ = std::chrono::steady_clock::now() + options_.retry_interval;
    }
    throw Error(Errc::unavailable,
                "HSM token '" + label_ + "' is unavailable: " + std::string(cause.what()),
                *cause.pkcs11());
}

HsmState SessionPool::state() const {
    std::lock_guard lock(mutex_);
    if (!login_refused_.empty())
        return {false, "login refused: " + login_refused_};
    return {!down_, down_detail_};
}

std::uint64_t SessionPool::sessions_replaced() const noexcept {
    std::lock_guard lock(mutex_);
    return replaced_;
}

Lease SessionPool::acquire() {
    std::unique_lock lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + options_.session_wait;
    if (!session_returned_.wait_until(lock, deadline,
                                      [&] { return !idle_.empty() || open_ < options_.size; })) {
        throw Error(Errc::unavailable, "no HSM session free within " +
                                           milliseconds(options_.session_wait) + " (" +
                                           std::to_string(options_.size) + " in use)");
    }
    if (!idle_.empty()) {
        const Lease lease = idle_.back();
        idle_.pop_back();
        return lease;
    }
    ++open_;
    const std::uint64_t generation = generation_;
    lock.unlock();
    try {
        return open_session(generation);
    } catch (...) {
        lock.lock();
        --open_;
        lock.unlock();
        session_returned_.notify_one();
        throw;
    }
}

// Opens a session and makes sure the user is logged in (login state is shared by all of the
// application's sessions with the token, and lost when the last one closes: PKCS#11 v2.40 §5.6).
Lease SessionPool::open_session(std::uint64_t generation) {
    const Lease lease{module_.open_session(slot_), generation};
    const CK_SESSION_HANDLE s = lease.session.handle;
    CK_SESSION_INFO info{};
    CK_RV rv = api_.C_GetSessionInfo(s, &info);
    if (rv == CKR_OK &&
        (info.state == CKS_RW_USER_FUNCTIONS || info.state == CKS_RO_USER_FUNCTIONS)) {
        return lease;
    }
    if (rv == CKR_OK) {
        rv = api_.C_Login(s, CKU_USER,
                          reinterpret_cast<CK_UTF8CHAR*>(const_cast<char*>(pin_.view().data())),
                          pin_.size());
    }
    if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN)
        return lease;
    module_.close_session(lease.session);
    try {
        check_rv(rv, rv == CKR_OK ? "C_GetSessionInfo" : "C_Login");
    } catch (const Error& e) {
        if (e.code() != Errc::permission_denied)
            throw;
        // Never retried: a token locks itself after a few wrong PINs.
        {
            std::lock_guard lock(mutex_);
            login_refused_ = e.what();
        }
        throw Error(e.code(),
                    "cannot log in to token '" + label_ + "' with the PIN from " +
                        pin_description_ + ": " + e.what(),
                    *e.pkcs11());
    }
    return lease;  // not reached
}

void SessionPool::release(const Lease& lease) {
    bool stale = false;
    {
        std::lock_guard lock(mutex_);
        stale = lease.generation != generation_;
        if (!stale) {
            idle_.push_back(lease);
        } else {
            --open_;
        }
    }
    // Opened before a loss: closed, never reused. Outside the lock: on a network HSM that went
    // away C_CloseSession may block for the module's own timeout, and every caller (even the
    // fail-fast check) would wait behind it.
    if (stale)
        module_.close_session(lease.session);
    session_returned_.notify_one();
}

// Closes a session that went bad (or forgets one the module already closed) and frees its place.
void SessionPool::discard(const Lease& lease, bool already_closed) {
    if (already_closed)
        module_.forget_session(lease.session);
    else
        module_.close_session(lease.session);
    {
        std::lock_guard lock(mutex_);
        --open_;
    }
    session_returned_.notify_one();
}

// A session was found gone (or a new one could not be opened or logged in): so are, most
// likely, all the others opened until now (a token reset takes them all). Every loss starts a new generation, even one seen on a session of an older
// generation: that loss may be newer than the last bump, and the retry must not meet a session
// it killed.
void SessionPool::lost(const Lease* lease, CK_RV rv, std::vector<Lease>& to_close) {
    {
        std::lock_guard lock(mutex_);
        ++generation_;
        ++replaced_;
        open_ -= idle_.size();
        to_close.insert(to_close.end(), idle_.begin(), idle_.end());
        idle_.clear();
        if (lease != nullptr)
            --open_;
    }
    if (lease != nullptr) {
        if (rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED)
            module_.forget_session(lease->session);  // the module closed it already
        else
            to_close.push_back(*lease);
    }
    session_returned_.notify_all();
}

}  // namespace signet::hsm
