#pragma once
// Client-side pacing for an API whose request limit is shared with others
// (Route 53 allows 5 requests a second per account, shared by every agent of a
// fleet and every reaper): additive increase, multiplicative decrease on
// throttling, as TCP does with its congestion window and the AWS SDKs'
// "adaptive" retry mode does with its send rate. Each client paces itself from
// the throttling it sees, so a fleet shares the limit with no coordination.
//
// Unpaced until the first throttle, so a lone client on a quiet account is
// never slowed. Then each throttle multiplies the rate by `decrease` (at least
// `min_rate`); each second without one adds `increase`; at `max_rate`, or
// after `calm` without a throttle, the client is unpaced again. The gap between
// requests is 1/rate, jittered by ±50% so that clients throttled together do
// not send together again. Pure: the caller passes the time and does the
// waiting (on its TimeSystem).
#include <chrono>
#include <cstdint>
#include <random>

#include "common/clock.h"

namespace ecssd::common {

struct PacerOptions {
  bool enabled = true;
  double start_rate = 5.0;   // requests/s before the first decrease (Route 53's account limit)
  double min_rate = 0.02;    // never slower than one request every 50 s
  double max_rate = 50.0;    // reaching it ends pacing
  double decrease = 0.5;     // the rate is multiplied by it on each throttle
  double increase = 0.01;    // requests/s added per second without a throttle
  std::chrono::seconds calm{300};  // this long without a throttle ends pacing
};

class Pacer {
 public:
  explicit Pacer(PacerOptions options = {}, uint64_t seed = std::random_device{}());

  // When the next request may be sent: `now` when unpaced or when the gap
  // since the last one has passed.
  SteadyTime next_send(SteadyTime now) const;
  // A request went at `now` (the next gap is drawn here).
  void sent(SteadyTime now);
  // Its answer: throttled, or anything else (a success, or an error that is
  // not about the rate).
  void throttled(SteadyTime now);
  void answered(SteadyTime now);

  bool paced() const { return rate_ > 0; }
  // Requests/s while paced; 0 when unpaced.
  double rate() const { return rate_; }

 private:
  void grow(SteadyTime now);

  PacerOptions options_;
  std::mt19937_64 rng_;
  double rate_ = 0;  // 0: unpaced
  SteadyTime last_change_{};
  SteadyTime last_throttle_{};
  SteadyTime next_{};
};

}  // namespace ecssd::common
