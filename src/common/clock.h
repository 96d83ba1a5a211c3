#pragma once
// Time comes from a TimeSource so that unit tests never sleep: production code
// uses RealTimeSource, tests use SimulatedTimeSource and advance it by hand.
#include <chrono>

namespace ecssd::common {

using SteadyTime = std::chrono::steady_clock::time_point;
using SystemTime = std::chrono::system_clock::time_point;
using Duration = std::chrono::nanoseconds;

class TimeSource {
 public:
  virtual ~TimeSource() = default;
  // Monotonic time, for deadlines and intervals.
  virtual SteadyTime steady_now() const = 0;
  // Wall-clock time, for timestamps that leave the process (DNS, logs, AWS).
  virtual SystemTime system_now() const = 0;
};

class RealTimeSource final : public TimeSource {
 public:
  SteadyTime steady_now() const override { return std::chrono::steady_clock::now(); }
  SystemTime system_now() const override { return std::chrono::system_clock::now(); }
  // A process-wide instance for code that has no injected source.
  static RealTimeSource& instance();
};

class SimulatedTimeSource final : public TimeSource {
 public:
  explicit SimulatedTimeSource(SystemTime start = SystemTime(std::chrono::seconds(1'700'000'000)))
      : system_(start) {}
  SteadyTime steady_now() const override { return steady_; }
  SystemTime system_now() const override { return system_; }
  void advance(Duration d) {
    steady_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
    system_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  }

 private:
  SteadyTime steady_{};
  SystemTime system_;
};

}  // namespace ecssd::common
