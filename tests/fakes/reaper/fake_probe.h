#pragma once
// A Probe for unit tests of the reaper: answers from a script per target
// ("10.0.0.1:80"; the last answer repeats), records every check with the
// simulated time it started, and tracks how many checks are in flight. Each
// check yields to the event loop `yields` times, so concurrent workers really
// overlap; `latency` advances the simulated clock as a slow target would.
#include <algorithm>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/clock.h"
#include "reaper/probe.h"

namespace ecssd::reaper::testing {

class FakeProbe final : public Probe {
 public:
  struct Call {
    std::string target;
    CheckSpec spec;
    common::SteadyTime at;
  };

  explicit FakeProbe(common::SimulatedTimeSource& time) : time_(time) {}

  // Scripted answers for a target; unscripted targets are healthy.
  void script(const std::string& target, std::vector<bool> answers) {
    auto& q = scripts_[target];
    q.assign(answers.begin(), answers.end());
  }
  void set_latency(common::Duration d) { latency_ = d; }
  void set_yields(int n) { yields_ = n; }

  Task<ProbeResult> check(CheckSpec spec) override {
    std::string target = spec.target();
    calls_.push_back({target, spec, time_.steady_now()});
    ++in_flight_;
    max_in_flight_ = std::max(max_in_flight_, in_flight_);
    for (int i = 0; i < yields_; ++i) {
      co_await boost::asio::post(co_await boost::asio::this_coro::executor, boost::asio::use_awaitable);
    }
    if (latency_.count() > 0) time_.advance(latency_);
    --in_flight_;
    bool healthy = true;
    auto it = scripts_.find(target);
    if (it != scripts_.end() && !it->second.empty()) {
      healthy = it->second.front();
      if (it->second.size() > 1) it->second.pop_front();
    }
    ProbeResult r;
    r.healthy = healthy;
    r.detail = healthy ? "connected" : "connection refused";
    co_return r;
  }

  const std::vector<Call>& calls() const { return calls_; }
  std::vector<common::SteadyTime> times_of(const std::string& target) const {
    std::vector<common::SteadyTime> out;
    for (const auto& c : calls_) {
      if (c.target == target) out.push_back(c.at);
    }
    return out;
  }
  size_t calls_to(const std::string& target) const { return times_of(target).size(); }
  int max_in_flight() const { return max_in_flight_; }

 private:
  common::SimulatedTimeSource& time_;
  std::map<std::string, std::deque<bool>> scripts_;
  std::vector<Call> calls_;
  common::Duration latency_{0};
  int yields_ = 1;
  int in_flight_ = 0;
  int max_in_flight_ = 0;
};

}  // namespace ecssd::reaper::testing
