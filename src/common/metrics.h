#pragma once
// Prometheus metrics: counters and gauges registered by name (+ labels),
// updated lock-free from any thread, rendered in the text exposition format
// (version 0.0.4) by the status server. Hand-written because Debian 12 has no
// prometheus-cpp package; the format is a few lines of text.
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

class Metrics {
 public:
  // The process-wide registry.
  static Metrics& global();

  // Returns the series, creating it on first use. The reference stays valid
  // for the registry's lifetime. Names follow Prometheus rules (the caller's
  // responsibility: they are literals in the code).
  Counter& counter(const std::string& name, const std::string& help, const MetricLabels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const MetricLabels& labels = {});

  // Text exposition format, families sorted by name.
  std::string render() const;

 private:
  struct Family {
    std::string help;
    bool is_counter = true;
    std::map<std::string, std::unique_ptr<Counter>> counters;  // key: rendered labels
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
  };
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

}  // namespace ecssd::common
