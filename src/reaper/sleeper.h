#pragma once
// Waiting until a point in time behind an interface, so the reaper's pass can
// run on a simulated clock in unit tests (the fake advances the clock instead
// of sleeping).
#include <boost/asio/awaitable.hpp>

#include "common/clock.h"

namespace ecssd::reaper {

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  // Resumes at `when` (at once when it has passed). Never fails.
  virtual boost::asio::awaitable<void> sleep_until(common::SteadyTime when) = 0;
};

// A steady_timer on the calling coroutine's executor; `when` is on
// std::chrono::steady_clock (common::RealTimeSource).
class TimerSleeper final : public Sleeper {
 public:
  boost::asio::awaitable<void> sleep_until(common::SteadyTime when) override;
};

}  // namespace ecssd::reaper
