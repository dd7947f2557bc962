// The Refresher's side of the notification listener (store/notifications.hpp): NOTIFY payloads,
// and catching up after the connection was lost.
#include <string>

#include "common/error.hpp"
#include "ocsp/refresher.hpp"

namespace signet::ocsp {

namespace {

using namespace std::chrono_literals;

// A listener that came back re-checks revocations from this long before it lost its connection
// (the loss is noticed a little after it happened).
constexpr auto kLossMargin = 1min;

}  // namespace

store::NotificationListener::Callbacks Refresher::listener_callbacks() {
    store::NotificationListener::Callbacks callbacks;
    callbacks.on_notification = [this](std::string_view payload) {
        const auto colon = payload.rfind(':');
        try {
            if (colon == std::string_view::npos)
                throw Error(Errc::invalid_argument, "no ':'");
            certificate_changed(from_hex(payload.substr(colon + 1)));
        } catch (const std::exception& e) {
            failures_.fetch_add(1, std::memory_order_relaxed);
            warn("ocsp: a certificate status notification was not applied", e.what());
        }
    };
    callbacks.on_error = [this](std::string_view reason) {
        {
            std::lock_guard lock(lost_mutex_);
            if (!lost_at_)
                lost_at_ = deps_.clock.now();
        }
        warn("ocsp: certificate status notifications interrupted", reason);
    };
    callbacks.on_reconnect = [this] {
        std::optional<Clock::time_point> since;
        {
            std::lock_guard lock(lost_mutex_);
            since = lost_at_;
        }
        try {
            if (since) {
                for (const Bytes& serial : deps_.responses.revoked_since(*since - kLossMargin))
                    certificate_changed(serial);
            }
            pull();
            std::lock_guard lock(lost_mutex_);
            lost_at_.reset();
        } catch (const std::exception& e) {
            // lost_at_ stays: the next reconnection tries again, and the loop's pull and the
            // queue cover the rest.
            failures_.fetch_add(1, std::memory_order_relaxed);
            warn("ocsp: catching up after the notifications came back failed", e.what());
        }
    };
    return callbacks;
}

}  // namespace signet::ocsp
