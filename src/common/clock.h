#pragma once
// Reading the time behind an interface, so that nothing reads the clocks
// directly: components that only read the time take a TimeSource; those that
// also wait take a TimeSystem (common/time_system.h), which is one.
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

}  // namespace ecssd::common
