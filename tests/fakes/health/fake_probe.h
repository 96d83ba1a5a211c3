#pragma once
// A Probe for unit tests of the reaper and the agent's health gate: answers
// from a script per target
// ("10.0.0.1:80"; the last answer repeats), records every check with the
// simulated time it started, and tracks how many checks are in flight. Each
// check yields to the event loop `yields` times, so concurrent workers really
// overlap; with a `latency` each check also waits that long on the simulated
// time system, as a slow target would (other checks go on meanwhile).
#include <algorithm>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/time_system.h"
#include "health/probe.h"

namespace ecssd::health::testing {

class FakeProbe final : public Probe {
 public:
  struct Call {
    std::string target;
    CheckSpec spec;
    common::SteadyTime at;
  };

  explicit FakeProbe(common::SimulatedTimeSystem& time) : time_(time) {}

  // Scripted answers for a target; unscripted targets are healthy.
  void script(const std::string& target, std::vector<bool> answers) {
    auto& q = scripts_[target];
    q.assign(answers.begin(), answers.end());
  }
  void set_latency(common::Duration d) { latency_ = d; }
  void set_yields(int n) { yields_ = n; }

  common::Task<ProbeResult> check(CheckSpec spec) override {
    std::string target = spec.target();
    calls_.push_back({target, spec, time_.steady_now()});
    ++in_flight_;
    max_in_flight_ = std::max(max_in_flight_, in_flight_);
    for (int i = 0; i < yields_; ++i) {
      co_await boost::asio::post(co_await boost::asio::this_coro::executor, boost::asio::use_awaitable);
    }
    if (latency_.count() > 0) co_await time_.sleep_for(latency_);
    --in_flight_;
    bool healthy = true;
    auto it = scripts_.find(target);
    if (it != scripts_.end() && !it->second.empty()) {
      healthy = it->second.front();
      if (it->second.size() > 1) it->second.pop_front();
    }
    ProbeResult r;
    r.healthy = healthy;
    r.outcome = healthy ? Outcome::kPass : Outcome::kRefused;
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
  common::SimulatedTimeSystem& time_;
  std::map<std::string, std::deque<bool>> scripts_;
  std::vector<Call> calls_;
  common::Duration latency_{0};
  int yields_ = 1;
  int in_flight_ = 0;
  int max_in_flight_ = 0;
};

}  // namespace ecssd::health::testing
