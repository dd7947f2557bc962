#pragma once
// A strict reader of the Prometheus text exposition format 0.0.4, for the server's /metrics.

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace signet::api::testkit {

// A strict reader of the Prometheus text exposition format 0.0.4: every line is a HELP, a
// TYPE or a sample; TYPE comes before its samples, once; a family's samples are contiguous;
// names, labels, escapes and values follow the grammar; histograms are complete and
// consistent. Returns samples by series ("name{labels}" exactly as written) for lookups.
struct PromSample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

inline bool valid_name(std::string_view name, bool metric) {
    if (name.empty())
        return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool letter =
            std::isalpha(static_cast<unsigned char>(c)) || c == '_' || (metric && c == ':');
        if (!letter && !(i > 0 && std::isdigit(static_cast<unsigned char>(c))))
            return false;
    }
    return true;
}

inline bool parse_prom_value(const std::string& text, double& value) {
    if (text == "+Inf")
        return value = INFINITY, true;
    if (text == "-Inf")
        return value = -INFINITY, true;
    if (text == "NaN")
        return value = NAN, true;
    if (text.empty())
        return false;
    char* end = nullptr;
    value = std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size();
}

inline std::vector<PromSample> parse_prometheus(const std::string& text) {
    std::vector<PromSample> samples;
    std::map<std::string, std::string> types;
    std::set<std::string> helped;
    std::set<std::string> finished_families;
    std::set<std::string> series_seen;
    std::string current_family;
    BOOST_REQUIRE_MESSAGE(!text.empty() && text.back() == '\n', "must end with a line feed");

    const auto family_of = [&](const std::string& name) -> std::string {
        if (types.count(name))
            return name;
        for (const char* suffix : {"_bucket", "_sum", "_count"}) {
            const std::string s(suffix);
            if (name.size() > s.size() && name.ends_with(s)) {
                const std::string base = name.substr(0, name.size() - s.size());
                if (types.count(base) && types[base] == "histogram")
                    return base;
            }
        }
        return "";
    };

    std::istringstream lines(text);
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
        ++number;
        BOOST_TEST_CONTEXT("line " << number << ": " << line) {
            BOOST_REQUIRE_MESSAGE(!line.empty(), "empty line");
            if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
                const std::string rest = line.substr(7);
                const auto space = rest.find(' ');
                BOOST_REQUIRE(space != std::string::npos);
                const std::string name = rest.substr(0, space);
                const std::string value = rest.substr(space + 1);
                BOOST_REQUIRE(valid_name(name, true));
                if (line[2] == 'T') {
                    BOOST_REQUIRE(value == "counter" || value == "gauge" || value == "histogram" ||
                                  value == "summary" || value == "untyped");
                    BOOST_REQUIRE_MESSAGE(!types.count(name), "second TYPE for " << name);
                    types[name] = value;
                } else {
                    BOOST_REQUIRE_MESSAGE(helped.insert(name).second, "second HELP for " << name);
                    for (std::size_t i = 0; i < value.size(); ++i) {
                        if (value[i] == '\\') {
                            BOOST_REQUIRE(i + 1 < value.size() &&
                                          (value[i + 1] == '\\' || value[i + 1] == 'n'));
                            ++i;
                        }
                    }
                }
                continue;
            }
            BOOST_REQUIRE_MESSAGE(line[0] != '#' || line.starts_with("# "), "bad comment");
            if (line[0] == '#')
                continue;

            PromSample sample;
            std::size_t i = 0;
            while (i < line.size() && line[i] != '{' && line[i] != ' ')
                ++i;
            sample.name = line.substr(0, i);
            BOOST_REQUIRE(valid_name(sample.name, true));
            std::string series = sample.name;
            if (i < line.size() && line[i] == '{') {
                const std::size_t open = i;
                ++i;
                while (i < line.size() && line[i] != '}') {
                    std::size_t eq = line.find('=', i);
                    BOOST_REQUIRE(eq != std::string::npos);
                    const std::string label = line.substr(i, eq - i);
                    BOOST_REQUIRE_MESSAGE(valid_name(label, false), "label name " << label);
                    BOOST_REQUIRE(eq + 1 < line.size() && line[eq + 1] == '"');
                    std::string value;
                    std::size_t j = eq + 2;
                    for (; j < line.size() && line[j] != '"'; ++j) {
                        if (line[j] == '\\') {
                            BOOST_REQUIRE(j + 1 < line.size());
                            const char e = line[j + 1];
                            BOOST_REQUIRE(e == '\\' || e == '"' || e == 'n');
                            value += e == 'n' ? '\n' : e;
                            ++j;
                        } else {
                            value += line[j];
                        }
                    }
                    BOOST_REQUIRE(j < line.size());
                    BOOST_REQUIRE_MESSAGE(sample.labels.emplace(label, value).second,
                                          "label twice: " << label);
                    i = j + 1;
                    if (i < line.size() && line[i] == ',')
                        ++i;
                }
                BOOST_REQUIRE(i < line.size());
                ++i;
                series += line.substr(open, i - open);
            }
            BOOST_REQUIRE(i < line.size() && line[i] == ' ');
            std::string rest = line.substr(i + 1);
            const auto space = rest.find(' ');
            if (space != std::string::npos) {
                const std::string timestamp = rest.substr(space + 1);
                BOOST_REQUIRE(!timestamp.empty() &&
                              timestamp.find_first_not_of("-0123456789") == std::string::npos);
                rest = rest.substr(0, space);
            }
            BOOST_REQUIRE_MESSAGE(parse_prom_value(rest, sample.value), "bad value " << rest);

            const std::string family = family_of(sample.name);
            BOOST_REQUIRE_MESSAGE(!family.empty(), "sample before its TYPE: " << sample.name);
            if (family != current_family) {
                BOOST_REQUIRE_MESSAGE(!finished_families.count(family),
                                      "family " << family << " is not contiguous");
                if (!current_family.empty())
                    finished_families.insert(current_family);
                current_family = family;
            }
            BOOST_REQUIRE_MESSAGE(series_seen.insert(series).second, "series twice: " << series);
            if (types[family] == "histogram") {
                BOOST_REQUIRE(sample.name != family);
                BOOST_REQUIRE_EQUAL(sample.labels.count("le"),
                                    sample.name == family + "_bucket" ? 1u : 0u);
            }
            samples.push_back(std::move(sample));
        }
    }

    // Histograms: per series, buckets ascending by le and cumulative, +Inf == _count, a _sum.
    for (const auto& [family, type] : types) {
        if (type != "histogram")
            continue;
        std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>>
            buckets;
        std::map<std::map<std::string, std::string>, double> counts;
        std::set<std::map<std::string, std::string>> sums;
        for (const PromSample& s : samples) {
            auto labels = s.labels;
            if (s.name == family + "_bucket") {
                double le = 0;
                BOOST_REQUIRE(parse_prom_value(labels["le"], le));
                labels.erase("le");
                buckets[labels].emplace_back(le, s.value);
            } else if (s.name == family + "_count") {
                counts[labels] = s.value;
            } else if (s.name == family + "_sum") {
                sums.insert(labels);
            }
        }
        for (const auto& [labels, series] : buckets) {
            BOOST_REQUIRE(!series.empty());
            for (std::size_t k = 1; k < series.size(); ++k) {
                BOOST_REQUIRE_MESSAGE(series[k].first > series[k - 1].first, family << " le order");
                BOOST_REQUIRE_MESSAGE(series[k].second >= series[k - 1].second,
                                      family << " buckets not cumulative");
            }
            BOOST_REQUIRE_MESSAGE(std::isinf(series.back().first), family << " lacks +Inf");
            BOOST_REQUIRE_MESSAGE(counts.count(labels) && counts[labels] == series.back().second,
                                  family << " _count differs from the +Inf bucket");
            BOOST_REQUIRE_MESSAGE(sums.count(labels), family << " lacks _sum");
        }
    }
    return samples;
}

inline std::optional<double> find_sample(const std::vector<PromSample>& samples,
                                         const std::string& name,
                                         const std::map<std::string, std::string>& labels) {
    for (const PromSample& s : samples) {
        if (s.name == name && s.labels == labels)
            return s.value;
    }
    return std::nullopt;
}

}  // namespace signet::api::testkit
