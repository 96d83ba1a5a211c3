#pragma once
// A Sleeper on a simulated clock: waiting until a time moves the clock there
// (never backwards) and yields once to the event loop. Records each wait.
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/clock.h"
#include "reaper/sleeper.h"

namespace ecssd::reaper::testing {

class FakeSleeper final : public Sleeper {
 public:
  explicit FakeSleeper(common::SimulatedTimeSource& time) : time_(time) {}

  boost::asio::awaitable<void> sleep_until(common::SteadyTime when) override {
    if (when > time_.steady_now()) {
      waits_.push_back(when);
      time_.advance(when - time_.steady_now());
    }
    co_await boost::asio::post(co_await boost::asio::this_coro::executor, boost::asio::use_awaitable);
  }

  const std::vector<common::SteadyTime>& waits() const { return waits_; }

 private:
  common::SimulatedTimeSource& time_;
  std::vector<common::SteadyTime> waits_;
};

}  // namespace ecssd::reaper::testing
