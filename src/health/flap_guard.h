#pragma once
// Holds a flapping target back: more than `limit` verdict changes within
// `window` start a hold, and the hold ends once the target has been up for
// `stable` without a change. While held the target is treated as down, so a
// check that keeps changing its mind is withdrawn once (and logged once)
// instead of being republished every few seconds. Time comes from the caller.
#include <chrono>
#include <vector>

#include "common/clock.h"

namespace ecssd::health {

struct FlapPolicy {
  int limit = 5;  // verdict changes allowed within `window` (0: never hold)
  std::chrono::milliseconds window{60'000};
  std::chrono::milliseconds stable{60'000};
};

class FlapGuard {
 public:
  explicit FlapGuard(FlapPolicy policy) : policy_(policy) {}

  enum class Change { kNone, kHeld, kReleased };

  // A verdict change at `now`. Returns kHeld when it starts a hold.
  Change changed(common::SteadyTime now);
  // After every check: `up` is the verdict now. Returns kReleased when a hold
  // ends (up, and no change for `stable`).
  Change checked(common::SteadyTime now, bool up);

  bool held() const { return held_; }
  // Verdict changes within the window, as of the last change.
  size_t recent_changes() const { return changes_.size(); }
  common::SteadyTime held_since() const { return held_since_; }
  const FlapPolicy& policy() const { return policy_; }

 private:
  void forget_before(common::SteadyTime t);

  FlapPolicy policy_;
  // A vector: an empty deque still allocates ~600 bytes, and every service
  // the agent checks has a guard (it keeps the changes of one window).
  std::vector<common::SteadyTime> changes_;
  common::SteadyTime last_change_{};
  common::SteadyTime held_since_{};
  bool held_ = false;
};

}  // namespace ecssd::health
