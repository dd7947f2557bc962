#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace signet {

// A Prometheus registry: counters, gauges and histograms with labels, rendered in the text
// exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
// Every module may register its own metrics (HTTP requests, HSM operations, the database pool);
// signetd serves the one registry at /metrics.
//
// Updating a metric is lock-free (atomics). Looking a labelled child up takes its family's
// mutex, so a hot path looks its children up once and keeps the reference: children live as
// long as the registry.

enum class MetricType : std::uint8_t { counter, gauge, histogram };

std::string_view to_string(MetricType type) noexcept;

class Counter {
  public:
    void inc(double amount = 1.0) noexcept { value_.fetch_add(amount, std::memory_order_relaxed); }
    double value() const noexcept { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<double> value_{0.0};
};

class Gauge {
  public:
    void set(double value) noexcept { value_.store(value, std::memory_order_relaxed); }
    void inc(double amount = 1.0) noexcept { value_.fetch_add(amount, std::memory_order_relaxed); }
    void dec(double amount = 1.0) noexcept { value_.fetch_sub(amount, std::memory_order_relaxed); }
    double value() const noexcept { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<double> value_{0.0};
};

class Histogram {
  public:
    // `upper_bounds`: strictly increasing, finite; the +Inf bucket is implicit.
    explicit Histogram(std::shared_ptr<const std::vector<double>> upper_bounds);

    void observe(double value) noexcept;

    struct Snapshot {
        std::vector<std::uint64_t> cumulative_counts;  // one per bound, then +Inf (== count)
        double sum = 0.0;
    };
    Snapshot snapshot() const;
    const std::vector<double>& upper_bounds() const noexcept { return *upper_bounds_; }

  private:
    std::shared_ptr<const std::vector<double>> upper_bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bucket, not cumulative
    std::atomic<double> sum_{0.0};
};

namespace detail {
// What the registry keeps of a family, whatever its metric type.
class FamilyBase {
  public:
    FamilyBase(std::string name, std::string help, MetricType type,
               std::vector<std::string> label_names);
    virtual ~FamilyBase() = default;
    virtual void render(std::string& out) const = 0;

    const std::string& name() const noexcept { return name_; }
    MetricType type() const noexcept { return type_; }
    const std::vector<std::string>& label_names() const noexcept { return label_names_; }

  protected:
    void render_header(std::string& out) const;

    std::string name_;
    std::string help_;
    MetricType type_;
    std::vector<std::string> label_names_;
};
}  // namespace detail

// All metrics of one name, one child per combination of label values.
template <class Metric>
class Family final : public detail::FamilyBase {
  public:
    Family(std::string name, std::string help, MetricType type,
           std::vector<std::string> label_names,
           std::shared_ptr<const std::vector<double>> upper_bounds = nullptr);

    // The child for these label values, in the order of the family's label names; created on
    // first use. Errc::invalid_argument when the number of values is wrong.
    Metric& with(std::initializer_list<std::string_view> label_values);
    Metric& with(std::span<const std::string> label_values);
    Metric& with(std::span<const std::string_view> label_values);

    void render(std::string& out) const override;

  private:
    Metric& find_or_create(std::vector<std::string> key);

    std::shared_ptr<const std::vector<double>> upper_bounds_;  // histograms only
    mutable std::mutex mutex_;
    std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

// One sample of a callback metric: label values (in the order of its label names) and value.
struct Sample {
    std::vector<std::string> label_values{};
    double value = 0.0;
};

class MetricsRegistry {
  public:
    MetricsRegistry() = default;
    MetricsRegistry(const MetricsRegistry&) = delete;
    MetricsRegistry& operator=(const MetricsRegistry&) = delete;

    // Registering a name again with the same type and labels returns the existing family;
    // with a different definition it is Errc::already_exists. A name or label name outside
    // Prometheus's grammar is Errc::invalid_argument.
    Family<Counter>& counter(std::string name, std::string help,
                             std::vector<std::string> label_names = {});
    Family<Gauge>& gauge(std::string name, std::string help,
                         std::vector<std::string> label_names = {});
    Family<Histogram>& histogram(std::string name, std::string help,
                                 std::vector<std::string> label_names,
                                 std::vector<double> upper_bounds);

    // A metric whose samples are read when /metrics is rendered (pool sizes, session counts,
    // a counter kept elsewhere). The callback runs on the rendering thread and must not
    // register metrics. `type` is counter or gauge.
    void callback(std::string name, std::string help, MetricType type,
                  std::vector<std::string> label_names, std::function<std::vector<Sample>()> read);
    // The common case: one unlabelled gauge.
    void gauge_callback(std::string name, std::string help, std::function<double()> read);

    // The text exposition format, families in registration order.
    std::string render() const;

    // 1 ms .. 10 s, for request latencies in seconds.
    static std::vector<double> default_latency_buckets();

  private:
    template <class F>
    F& add(std::unique_ptr<F> family);

    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<detail::FamilyBase>> families_;
};

// Prometheus's grammar: metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*
// (names beginning with "__" are reserved).
bool is_valid_metric_name(std::string_view name) noexcept;
bool is_valid_label_name(std::string_view name) noexcept;

}  // namespace signet
