#pragma once

#include <array>
#include <atomic>
#include <string>

#include "common/metrics.hpp"

// Per route: the latency histogram and, per status code, the request counter, looked up once
// and then kept (the family lookup takes a mutex, the counter itself does not), so recording a
// request takes no lock.
namespace signet::api::detail {

class RouteStats {
  public:
    RouteStats(MetricsRegistry& registry, std::string label);

    void record(unsigned status, double seconds);

    const std::string& label() const noexcept { return label_; }

  private:
    std::string label_;
    Family<Counter>& requests_;
    Histogram& latency_;
    std::array<std::atomic<Counter*>, 500> by_status_{};  // 100..599
};

}  // namespace signet::api::detail
