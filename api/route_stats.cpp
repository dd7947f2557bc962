#include "api/route_stats.hpp"

namespace signet::api::detail {

RouteStats::RouteStats(MetricsRegistry& registry, std::string label)
    : label_(std::move(label)),
      requests_(registry.counter("signet_http_requests_total",
                                 "HTTP requests answered, by route pattern and status",
                                 {"route", "status"})),
      latency_(registry
                   .histogram("signet_http_request_duration_seconds",
                              "Time from a request's first byte to its response's last, "
                              "by route pattern",
                              {"route"}, MetricsRegistry::default_latency_buckets())
                   .with({label_})) {}

void RouteStats::record(unsigned status, double seconds) {
    latency_.observe(seconds);
    const std::size_t slot = (status >= 100 && status <= 599) ? status - 100 : 499;
    Counter* counter = by_status_[slot].load(std::memory_order_acquire);
    if (counter == nullptr) {
        counter = &requests_.with({label_, std::to_string(status)});
        by_status_[slot].store(counter, std::memory_order_release);
    }
    counter->inc();
}

}  // namespace signet::api::detail
