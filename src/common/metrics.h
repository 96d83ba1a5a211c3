#pragma once
// Prometheus metrics: counters, gauges and histograms registered by name (+
// labels), updated lock-free from any thread, rendered in the text exposition
// format (version 0.0.4) by the status server. Hand-written because Debian 12
// has no prometheus-cpp package; the format is a few lines of text.
//
// There is no process-wide registry: main() owns one Metrics, and every
// component creates its series from the Scope it is given at construction
// (Envoy's Stats::Scope), so two instances in one test never share counters.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace ecssd::common {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void set(double v) { v_.store(v, std::memory_order_relaxed); }
  void add(double d) {
    double cur = v_.load(std::memory_order_relaxed);
    while (!v_.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
    }
  }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

// Cumulative buckets with fixed upper bounds (seconds, for latencies), plus the
// sum and count. observe() is lock-free.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Observations <= bounds()[i] (cumulative), and in all.
  uint64_t bucket(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// Latency buckets from 1 ms to 60 s.
std::vector<double> latency_buckets();

class Metrics {
 public:
  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Returns the series, creating it on first use. The reference stays valid
  // for the registry's lifetime. Names follow Prometheus rules (the caller's
  // responsibility: they are literals in the code).
  Counter& counter(const std::string& name, const std::string& help, const MetricLabels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const MetricLabels& labels = {});
  // `bounds` is used when the series is first made.
  Histogram& histogram(const std::string& name, const std::string& help, const MetricLabels& labels = {},
                       std::vector<double> bounds = latency_buckets());

  // Text exposition format, families sorted by name.
  std::string render() const;

 private:
  struct Family {
    std::string help;
    std::string type;  // counter, gauge, histogram
    // key: rendered labels
    std::map<std::string, std::unique_ptr<Counter>> counters;
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::pair<MetricLabels, std::unique_ptr<Histogram>>> histograms;
  };
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

// What a component is given to make its series: a registry and labels that
// every series made through it carries (e.g. {"zone", "sd.internal"}).
// Cheap to copy; the registry must outlive it and every series made from it.
class Scope {
 public:
  explicit Scope(Metrics& metrics, MetricLabels labels = {}) : metrics_(&metrics), labels_(std::move(labels)) {}

  Counter& counter(const std::string& name, const std::string& help, const MetricLabels& labels = {}) const;
  Gauge& gauge(const std::string& name, const std::string& help, const MetricLabels& labels = {}) const;
  Histogram& histogram(const std::string& name, const std::string& help, const MetricLabels& labels = {},
                       std::vector<double> bounds = latency_buckets()) const;
  // A scope whose series carry `labels` as well as this scope's.
  Scope with(const MetricLabels& labels) const;
  Metrics& metrics() const { return *metrics_; }

 private:
  MetricLabels merged(const MetricLabels& labels) const;
  Metrics* metrics_;
  MetricLabels labels_;
};

}  // namespace ecssd::common
