#include "reaper/health_tracker.h"

#include <algorithm>

namespace ecssd::reaper {

HealthTracker::HealthTracker(HealthPolicy policy, const common::TimeSource& time) : policy_(policy), time_(time) {
  policy_.fall = std::max(policy_.fall, 1);
  policy_.rise = std::max(policy_.rise, 1);
}

size_t HealthTracker::add() {
  Target t;
  t.due = time_.steady_now();
  targets_.push_back(t);
  return targets_.size() - 1;
}

void HealthTracker::started(size_t id) {
  Target& t = targets_[id];
  ++t.checks;
  t.due = time_.steady_now() + policy_.interval;
}

void HealthTracker::finished(size_t id, bool healthy) {
  Target& t = targets_[id];
  if (healthy) {
    ++t.successes;
    t.failures = 0;
    if (t.successes >= policy_.rise) t.health = Health::kUp;
  } else {
    ++t.failures;
    t.successes = 0;
    if (t.failures >= policy_.fall) t.health = Health::kDown;
  }
  // A check that outlasted the interval: the next one starts no earlier than now.
  t.due = std::max(t.due, time_.steady_now());
}

bool HealthTracker::needs_check(size_t id) const {
  const Target& t = targets_[id];
  return t.health == Health::kUnknown && t.checks < policy_.max_checks();
}

}  // namespace ecssd::reaper
