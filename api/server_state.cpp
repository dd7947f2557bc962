#include "api/server_state.hpp"

namespace signet::api::detail {

std::optional<SteadyClock::time_point> Connection::idle_since() const noexcept {
    if (standing_.load(std::memory_order_acquire) != kIdle)
        return std::nullopt;
    return SteadyClock::time_point(
        SteadyClock::duration(idle_since_.load(std::memory_order_relaxed)));
}

bool Connection::claim_for_eviction() noexcept {
    std::uint8_t expected = kIdle;
    return standing_.compare_exchange_strong(expected, kClaimed, std::memory_order_acq_rel);
}

void Connection::mark_idle() noexcept {
    idle_since_.store(SteadyClock::now().time_since_epoch().count(), std::memory_order_relaxed);
    std::uint8_t expected = kBusy;
    standing_.compare_exchange_strong(expected, kIdle, std::memory_order_acq_rel);
}

bool Connection::mark_busy() noexcept {
    std::uint8_t expected = kIdle;
    return standing_.compare_exchange_strong(expected, kBusy, std::memory_order_acq_rel) ||
           expected == kBusy;
}

bool Connection::claimed() const noexcept {
    return standing_.load(std::memory_order_acquire) == kClaimed;
}

IoContexts::IoContexts(unsigned count) {
    contexts_.reserve(count);
    for (unsigned i = 0; i < count; ++i)
        contexts_.push_back(std::make_unique<net::io_context>(1));
}

IoExecutor IoContexts::next_executor() {
    const std::size_t i = next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size();
    return contexts_[i]->get_executor();
}

void ServerState::add_connection(const std::shared_ptr<Connection>& connection) {
    std::lock_guard lock(connections_mutex);
    connections.emplace(connection.get(), connection);
}

void ServerState::remove_connection(Connection* connection) {
    std::lock_guard lock(connections_mutex);
    connections.erase(connection);
}

std::vector<std::shared_ptr<Connection>> ServerState::live_connections() {
    std::vector<std::shared_ptr<Connection>> live;
    std::lock_guard lock(connections_mutex);
    live.reserve(connections.size());
    for (const auto& [raw, weak] : connections) {
        if (auto connection = weak.lock())
            live.push_back(std::move(connection));
    }
    return live;
}

bool ServerState::evict_oldest_idle() {
    // The shared pointers are released outside the registry's lock: the last one going runs
    // the connection's destructor, which takes that lock.
    const auto live = live_connections();
    // A connection may start a request between the scan and the claim; then the next oldest.
    for (int attempt = 0; attempt < 3; ++attempt) {
        Connection* oldest = nullptr;
        SteadyClock::time_point oldest_since = SteadyClock::time_point::max();
        for (const auto& connection : live) {
            if (const auto since = connection->idle_since(); since && *since < oldest_since) {
                oldest = connection.get();
                oldest_since = *since;
            }
        }
        if (oldest == nullptr)
            return false;
        if (oldest->claim_for_eviction()) {
            oldest->close_now();
            evicted->inc();
            return true;
        }
    }
    return false;
}

ConnectionSlot::ConnectionSlot(std::shared_ptr<ServerState> state, ListenerKind kind)
    : state_(std::move(state)), kind_(kind) {
    state_->open_gauge[ServerState::slot(kind_)]->inc();
}

ConnectionSlot::~ConnectionSlot() {
    state_->open_gauge[ServerState::slot(kind_)]->dec();
    state_->open_connections.fetch_sub(1, std::memory_order_acq_rel);
}

}  // namespace signet::api::detail
