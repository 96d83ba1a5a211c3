#include "common/metrics.h"

#include <algorithm>
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

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size())) {
  std::sort(bounds_.begin(), bounds_.end());
  for (size_t i = 0; i < bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (v <= bounds_[i]) buckets_[i].fetch_add(1, std::memory_order_relaxed);
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  double cur = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

std::vector<double> latency_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

Counter& Metrics::counter(const std::string& name, const std::string& help, const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  Family& f = families_[name];
  f.help = help;
  f.type = "counter";
  auto& slot = f.counters[render_labels(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Metrics::gauge(const std::string& name, const std::string& help, const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  Family& f = families_[name];
  f.help = help;
  f.type = "gauge";
  auto& slot = f.gauges[render_labels(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Metrics::histogram(const std::string& name, const std::string& help, const MetricLabels& labels,
                              std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  Family& f = families_[name];
  f.help = help;
  f.type = "histogram";
  auto& slot = f.histograms[render_labels(labels)];
  if (!slot.second) slot = {labels, std::make_unique<Histogram>(std::move(bounds))};
  return *slot.second;
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, f.help, name, f.type);
    for (const auto& [labels, c] : f.counters) out += fmt::format("{}{} {}\n", name, labels, c->value());
    for (const auto& [labels, g] : f.gauges) out += fmt::format("{}{} {}\n", name, labels, number(g->value()));
    for (const auto& [key, entry] : f.histograms) {
      // Not a structured binding: clang 14 cannot capture one in a lambda.
      const MetricLabels& labels = entry.first;
      const auto& h = entry.second;
      auto with_le = [&labels](const std::string& le) {
        MetricLabels l = labels;
        l.emplace_back("le", le);
        return render_labels(l);
      };
      for (size_t i = 0; i < h->bounds().size(); ++i) {
        out += fmt::format("{}_bucket{} {}\n", name, with_le(number(h->bounds()[i])), h->bucket(i));
      }
      out += fmt::format("{}_bucket{} {}\n", name, with_le("+Inf"), h->count());
      out += fmt::format("{}_sum{} {}\n", name, key, number(h->sum()));
      out += fmt::format("{}_count{} {}\n", name, key, h->count());
    }
  }
  return out;
}

MetricLabels Scope::merged(const MetricLabels& labels) const {
  if (labels_.empty()) return labels;
  MetricLabels out = labels_;
  out.insert(out.end(), labels.begin(), labels.end());
  return out;
}

Counter& Scope::counter(const std::string& name, const std::string& help, const MetricLabels& labels) const {
  return metrics_->counter(name, help, merged(labels));
}

Gauge& Scope::gauge(const std::string& name, const std::string& help, const MetricLabels& labels) const {
  return metrics_->gauge(name, help, merged(labels));
}

Histogram& Scope::histogram(const std::string& name, const std::string& help, const MetricLabels& labels,
                            std::vector<double> bounds) const {
  return metrics_->histogram(name, help, merged(labels), std::move(bounds));
}

Scope Scope::with(const MetricLabels& labels) const { return Scope(*metrics_, merged(labels)); }

}  // namespace ecssd::common
