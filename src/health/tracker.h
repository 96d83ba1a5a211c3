#pragma once
// Rise/fall thresholds over repeated checks, as dnsdist's maxCheckFailures /
// minRiseSuccesses and Envoy's unhealthy/healthy thresholds: a target is down
// after `fall` consecutive failed checks and up after `rise` consecutive
// successes. RiseFall counts for one target (the agent keeps one per
// service); HealthTracker spaces the checks of many targets by `interval`
// for one pass of the reaper. Time comes from a TimeSource, so unit tests
// never sleep.
#include <chrono>
#include <cstddef>
#include <vector>

#include "common/clock.h"

namespace ecssd::health {

struct HealthPolicy {
  int fall = 3;  // consecutive failures that make a target down
  int rise = 1;  // consecutive successes that make it up
  // Minimum time between the starts of two checks of one target; a check
  // that takes longer delays the next one.
  std::chrono::milliseconds interval{2000};
  // Checks of one target in one reaper pass before giving up on a verdict (a
  // target that alternates success and failure never reaches either threshold).
  int max_checks() const { return 2 * (fall + rise); }
};

enum class Health {
  kUnknown,  // not checked yet, or no threshold reached
  kUp,       // `rise` consecutive successes
  kDown,     // `fall` consecutive failures
};

// "unknown", "up", "down".
const char* to_string(Health h);

// The thresholds of one target. Thresholds below 1 count as 1.
class RiseFall {
 public:
  RiseFall(int rise, int fall);

  // Takes in one check's result. Returns true when the verdict changed
  // (unknown -> up or down, up -> down, down -> up).
  bool record(bool healthy);
  // Starts from a verdict known from elsewhere (the agent, restarted, trusts
  // the records it published until its own checks say otherwise).
  void seed(Health h) { health_ = h; }

  Health health() const { return health_; }
  int consecutive_failures() const { return failures_; }
  int consecutive_successes() const { return successes_; }
  int checks() const { return checks_; }
  int rise() const { return rise_; }
  int fall() const { return fall_; }

 private:
  int rise_;
  int fall_;
  Health health_ = Health::kUnknown;
  int failures_ = 0;
  int successes_ = 0;
  int checks_ = 0;
};

// Many targets checked until each has a verdict (the reaper's pass).
class HealthTracker {
 public:
  // `time` must outlive the tracker.
  HealthTracker(HealthPolicy policy, const common::TimeSource& time);

  // A new target, unknown and due now. Returns its id (0, 1, 2...).
  size_t add();
  size_t size() const { return targets_.size(); }

  // A check of `id` starts now (stamped from the time source).
  void started(size_t id);
  // The check of `id` that started last has finished.
  void finished(size_t id, bool healthy);

  Health health(size_t id) const { return targets_[id].counts.health(); }
  // True while the target has no verdict and may be checked again.
  bool needs_check(size_t id) const;
  // When its next check may start: when added, then the last start + interval.
  common::SteadyTime due(size_t id) const { return targets_[id].due; }
  int checks(size_t id) const { return targets_[id].counts.checks(); }
  int consecutive_failures(size_t id) const { return targets_[id].counts.consecutive_failures(); }
  int consecutive_successes(size_t id) const { return targets_[id].counts.consecutive_successes(); }

  const HealthPolicy& policy() const { return policy_; }

 private:
  struct Target {
    RiseFall counts;
    common::SteadyTime due{};
  };
  HealthPolicy policy_;
  const common::TimeSource& time_;
  std::vector<Target> targets_;
};

}  // namespace ecssd::health
