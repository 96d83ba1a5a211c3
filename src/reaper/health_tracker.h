#pragma once
// Rise/fall thresholds over repeated checks of one target, as dnsdist's
// maxCheckFailures / minRiseSuccesses and Envoy's unhealthy/healthy
// thresholds: a target is down after `fall` consecutive failed checks and up
// after `rise` consecutive successes; checks of one target are spaced by
// `interval`. Time comes from a TimeSource, so unit tests never sleep.
#include <chrono>
#include <cstddef>
#include <vector>

#include "common/clock.h"

namespace ecssd::reaper {

struct HealthPolicy {
  int fall = 3;  // consecutive failures that make a target down (--fail-threshold)
  int rise = 1;  // consecutive successes that make it up (--rise-threshold)
  // Minimum time between the starts of two checks of one target
  // (--check-interval); a check that takes longer delays the next one.
  std::chrono::milliseconds interval{2000};
  // Checks of one target in one pass before giving up on a verdict (a target
  // that alternates success and failure never reaches either threshold).
  int max_checks() const { return 2 * (fall + rise); }
};

enum class Health {
  kUnknown,  // not checked yet, or no threshold reached
  kUp,       // `rise` consecutive successes
  kDown,     // `fall` consecutive failures
};

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

  Health health(size_t id) const { return targets_[id].health; }
  // True while the target has no verdict and may be checked again.
  bool needs_check(size_t id) const;
  // When its next check may start: when added, then the last start + interval.
  common::SteadyTime due(size_t id) const { return targets_[id].due; }
  int checks(size_t id) const { return targets_[id].checks; }
  int consecutive_failures(size_t id) const { return targets_[id].failures; }
  int consecutive_successes(size_t id) const { return targets_[id].successes; }

  const HealthPolicy& policy() const { return policy_; }

 private:
  struct Target {
    Health health = Health::kUnknown;
    int checks = 0;
    int failures = 0;
    int successes = 0;
    common::SteadyTime due{};
  };
  HealthPolicy policy_;
  const common::TimeSource& time_;
  std::vector<Target> targets_;
};

}  // namespace ecssd::reaper
