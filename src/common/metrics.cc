#include "common/metrics.h"

#include <cmath>

#include <fmt/format.h>

namespace ecssd::common {
namespace {

std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string render_labels(const MetricLabels& labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += fmt::format("{}=\"{}\"", labels[i].first, escape(labels[i].second));
  }
  return out + "}";
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{}", v);
}

}  // namespace

Metrics& Metrics::global() {
  static Metrics m;
  return m;
}

Counter& Metrics::counter(const std::string& name, const std::string& help, const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  Family& f = families_[name];
  f.help = help;
  f.is_counter = true;
  auto& slot = f.counters[render_labels(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Metrics::gauge(const std::string& name, const std::string& help, const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  Family& f = families_[name];
  f.help = help;
  f.is_counter = false;
  auto& slot = f.gauges[render_labels(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, f.help, name, f.is_counter ? "counter" : "gauge");
    for (const auto& [labels, c] : f.counters) out += fmt::format("{}{} {}\n", name, labels, c->value());
    for (const auto& [labels, g] : f.gauges) out += fmt::format("{}{} {}\n", name, labels, number(g->value()));
  }
  return out;
}

}  // namespace ecssd::common
