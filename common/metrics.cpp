#include "common/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/error.hpp"

namespace signet {

std::string_view to_string(MetricType type) noexcept {
    switch (type) {
        case MetricType::counter:
            return "counter";
        case MetricType::gauge:
            return "gauge";
        case MetricType::histogram:
            return "histogram";
    }
    return "untyped";
}

bool is_valid_metric_name(std::string_view name) noexcept {
    if (name.empty())
        return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool letter =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        const bool digit = c >= '0' && c <= '9';
        if (!letter && !(digit && i > 0))
            return false;
    }
    return true;
}

bool is_valid_label_name(std::string_view name) noexcept {
    if (name.empty() || name.starts_with("__"))
        return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        const bool digit = c >= '0' && c <= '9';
        if (!letter && !(digit && i > 0))
            return false;
    }
    return true;
}

namespace {

// Prometheus floats: Go's ParseFloat syntax, with +Inf, -Inf and NaN spelled out.
void append_value(std::string& out, double value) {
    if (std::isnan(value)) {
        out += "NaN";
    } else if (std::isinf(value)) {
        out += value > 0 ? "+Inf" : "-Inf";
    } else {
        char text[32];
        const auto result = std::to_chars(text, text + sizeof text, value);
        out.append(text, result.ptr);
    }
}

void append_uint(std::string& out, std::uint64_t value) {
    char text[24];
    const auto result = std::to_chars(text, text + sizeof text, value);
    out.append(text, result.ptr);
}

// Label values escape backslash, double quote and line feed; HELP text escapes backslash and
// line feed (exposition format, "Comments, help text, and type information").
void append_escaped(std::string& out, std::string_view text, bool escape_quote) {
    for (const char c : text) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '"' && escape_quote) {
            out += "\\\"";
        } else {
            out += c;
        }
    }
}

// name{a="x",b="y"[,extra]} — braces omitted when there is no label at all.
void append_series(std::string& out, std::string_view name, std::string_view suffix,
                   const std::vector<std::string>& label_names,
                   const std::vector<std::string>& label_values, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
    out += name;
    out += suffix;
    if (label_names.empty() && extra_name.empty())
        return;
    out += '{';
    bool first = true;
    for (std::size_t i = 0; i < label_names.size(); ++i) {
        if (!first)
            out += ',';
        first = false;
        out += label_names[i];
        out += "=\"";
        append_escaped(out, label_values[i], true);
        out += '"';
    }
    if (!extra_name.empty()) {
        if (!first)
            out += ',';
        out += extra_name;
        out += "=\"";
        out += extra_value;
        out += '"';
    }
    out += '}';
}

void check_names(const std::string& name, const std::vector<std::string>& label_names) {
    if (!is_valid_metric_name(name)) {
        throw Error(Errc::invalid_argument, "invalid metric name '" + name + "'");
    }
    for (std::size_t i = 0; i < label_names.size(); ++i) {
        if (!is_valid_label_name(label_names[i])) {
            throw Error(Errc::invalid_argument,
                        "metric " + name + ": invalid label name '" + label_names[i] + "'");
        }
        if (std::find(label_names.begin(), label_names.begin() + static_cast<long>(i),
                      label_names[i]) != label_names.begin() + static_cast<long>(i)) {
            throw Error(Errc::invalid_argument,
                        "metric " + name + ": label '" + label_names[i] + "' named twice");
        }
    }
}

// A metric read from a callback at render time.
class CallbackFamily final : public detail::FamilyBase {
  public:
    CallbackFamily(std::string name, std::string help, MetricType type,
                   std::vector<std::string> label_names, std::function<std::vector<Sample>()> read)
        : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
          read_(std::move(read)) {}

    void render(std::string& out) const override {
        std::vector<Sample> samples;
        try {
            samples = read_();
        } catch (...) {
            // A failing collector must not take /metrics down; its family is simply empty.
            samples.clear();
        }
        render_header(out);
        for (const Sample& sample : samples) {
            if (sample.label_values.size() != label_names_.size())
                continue;
            append_series(out, name_, "", label_names_, sample.label_values);
            out += ' ';
            append_value(out, sample.value);
            out += '\n';
        }
    }

  private:
    std::function<std::vector<Sample>()> read_;
};

}  // namespace

Histogram::Histogram(std::shared_ptr<const std::vector<double>> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      counts_(new std::atomic<std::uint64_t>[upper_bounds_->size() + 1]) {
    for (std::size_t i = 0; i <= upper_bounds_->size(); ++i) {
        counts_[i].store(0, std::memory_order_relaxed);
    }
}

void Histogram::observe(double value) noexcept {
    // Bucket "le" semantics: the first bound that is >= value; past the last one is +Inf.
    const auto& bounds = *upper_bounds_;
    const std::size_t bucket = static_cast<std::size_t>(
        std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin());
    counts_[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
    Snapshot snapshot;
    snapshot.cumulative_counts.resize(upper_bounds_->size() + 1);
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= upper_bounds_->size(); ++i) {
        running += counts_[i].load(std::memory_order_relaxed);
        snapshot.cumulative_counts[i] = running;
    }
    snapshot.sum = sum_.load(std::memory_order_relaxed);
    return snapshot;
}

namespace detail {

FamilyBase::FamilyBase(std::string name, std::string help, MetricType type,
                       std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)) {}

void FamilyBase::render_header(std::string& out) const {
    out += "# HELP ";
    out += name_;
    out += ' ';
    append_escaped(out, help_, false);
    out += "\n# TYPE ";
    out += name_;
    out += ' ';
    out += to_string(type_);
    out += '\n';
}

}  // namespace detail

template <class Metric>
Family<Metric>::Family(std::string name, std::string help, MetricType type,
                       std::vector<std::string> label_names,
                       std::shared_ptr<const std::vector<double>> upper_bounds)
    : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
      upper_bounds_(std::move(upper_bounds)) {}

template <class Metric>
Metric& Family<Metric>::with(std::initializer_list<std::string_view> label_values) {
    return with(std::span<const std::string_view>(label_values.begin(), label_values.size()));
}

template <class Metric>
Metric& Family<Metric>::with(std::span<const std::string> label_values) {
    return find_or_create(std::vector<std::string>(label_values.begin(), label_values.end()));
}

template <class Metric>
Metric& Family<Metric>::with(std::span<const std::string_view> label_values) {
    std::vector<std::string> key;
    key.reserve(label_values.size());
    for (const std::string_view value : label_values)
        key.emplace_back(value);
    return find_or_create(std::move(key));
}

template <class Metric>
Metric& Family<Metric>::find_or_create(std::vector<std::string> key) {
    if (key.size() != label_names_.size()) {
        throw Error(Errc::invalid_argument, "metric " + name_ + " has " +
                                                std::to_string(label_names_.size()) + " labels, " +
                                                std::to_string(key.size()) + " values given");
    }
    std::lock_guard lock(mutex_);
    auto found = children_.find(key);
    if (found != children_.end())
        return *found->second;
    std::unique_ptr<Metric> child;
    if constexpr (std::is_same_v<Metric, Histogram>) {
        child = std::make_unique<Histogram>(upper_bounds_);
    } else {
        child = std::make_unique<Metric>();
    }
    Metric& result = *child;
    children_.emplace(std::move(key), std::move(child));
    return result;
}

template <class Metric>
void Family<Metric>::render(std::string& out) const {
    render_header(out);
    std::lock_guard lock(mutex_);
    for (const auto& [label_values, child] : children_) {
        if constexpr (std::is_same_v<Metric, Histogram>) {
            const Histogram::Snapshot snapshot = child->snapshot();
            const auto& bounds = child->upper_bounds();
            std::string bound_text;
            for (std::size_t i = 0; i <= bounds.size(); ++i) {
                bound_text.clear();
                if (i < bounds.size()) {
                    append_value(bound_text, bounds[i]);
                } else {
                    bound_text = "+Inf";
                }
                append_series(out, name_, "_bucket", label_names_, label_values, "le", bound_text);
                out += ' ';
                append_uint(out, snapshot.cumulative_counts[i]);
                out += '\n';
            }
            append_series(out, name_, "_sum", label_names_, label_values);
            out += ' ';
            append_value(out, snapshot.sum);
            out += '\n';
            append_series(out, name_, "_count", label_names_, label_values);
            out += ' ';
            append_uint(out, snapshot.cumulative_counts.back());
            out += '\n';
        } else {
            append_series(out, name_, "", label_names_, label_values);
            out += ' ';
            append_value(out, child->value());
            out += '\n';
        }
    }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

template <class F>
F& MetricsRegistry::add(std::unique_ptr<F> family) {
    check_names(family->name(), family->label_names());
    std::lock_guard lock(mutex_);
    for (const auto& existing : families_) {
        if (existing->name() != family->name())
            continue;
        auto* same = dynamic_cast<F*>(existing.get());
        // A callback cannot be shared: a second one would be silently ignored.
        constexpr bool shareable = !std::is_same_v<F, CallbackFamily>;
        if (shareable && same != nullptr && same->type() == family->type() &&
            same->label_names() == family->label_names()) {
            return *same;
        }
        throw Error(Errc::already_exists,
                    "metric " + family->name() + " is already registered differently");
    }
    F& result = *family;
    families_.push_back(std::move(family));
    return result;
}

Family<Counter>& MetricsRegistry::counter(std::string name, std::string help,
                                          std::vector<std::string> label_names) {
    return add(std::make_unique<Family<Counter>>(std::move(name), std::move(help),
                                                 MetricType::counter, std::move(label_names)));
}

Family<Gauge>& MetricsRegistry::gauge(std::string name, std::string help,
                                      std::vector<std::string> label_names) {
    return add(std::make_unique<Family<Gauge>>(std::move(name), std::move(help), MetricType::gauge,
                                               std::move(label_names)));
}

Family<Histogram>& MetricsRegistry::histogram(std::string name, std::string help,
                                              std::vector<std::string> label_names,
                                              std::vector<double> upper_bounds) {
    if (std::find(label_names.begin(), label_names.end(), "le") != label_names.end()) {
        throw Error(Errc::invalid_argument, "histogram " + name + ": the label 'le' is reserved");
    }
    for (std::size_t i = 0; i < upper_bounds.size(); ++i) {
        if (!std::isfinite(upper_bounds[i]) || (i > 0 && upper_bounds[i] <= upper_bounds[i - 1])) {
            throw Error(Errc::invalid_argument,
                        "histogram " + name + ": bounds must be finite and strictly increasing");
        }
    }
    auto bounds = std::make_shared<const std::vector<double>>(std::move(upper_bounds));
    return add(std::make_unique<Family<Histogram>>(std::move(name), std::move(help),
                                                   MetricType::histogram, std::move(label_names),
                                                   std::move(bounds)));
}

void MetricsRegistry::callback(std::string name, std::string help, MetricType type,
                               std::vector<std::string> label_names,
                               std::function<std::vector<Sample>()> read) {
    if (type == MetricType::histogram) {
        throw Error(Errc::invalid_argument,
                    "metric " + name + ": a callback cannot be a histogram");
    }
    add(std::make_unique<CallbackFamily>(std::move(name), std::move(help), type,
                                         std::move(label_names), std::move(read)));
}

void MetricsRegistry::gauge_callback(std::string name, std::string help,
                                     std::function<double()> read) {
    callback(std::move(name), std::move(help), MetricType::gauge, {}, [read = std::move(read)] {
        return std::vector<Sample>{Sample{{}, read()}};
    });
}

std::string MetricsRegistry::render() const {
    // Families are never removed, so the pointers stay valid outside the lock; rendering
    // (and the callbacks) then runs without blocking registrations.
    std::vector<const detail::FamilyBase*> families;
    {
        std::lock_guard lock(mutex_);
        families.reserve(families_.size());
        for (const auto& family : families_)
            families.push_back(family.get());
    }
    std::string out;
    out.reserve(families.size() * 256);
    for (const auto* family : families)
        family->render(out);
    return out;
}

std::vector<double> MetricsRegistry::default_latency_buckets() {
    return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
}

}  // namespace signet
