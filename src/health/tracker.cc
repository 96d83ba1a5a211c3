#include "health/tracker.h"

#include <algorithm>

namespace ecssd::health {

const char* to_string(Health h) {
  switch (h) {
    case Health::kUnknown: return "unknown";
    case Health::kUp: return "up";
    case Health::kDown: return "down";
  }
  return "unknown";
}

RiseFall::RiseFall(int rise, int fall) : rise_(std::max(rise, 1)), fall_(std::max(fall, 1)) {}

bool RiseFall::record(bool healthy) {
  const Health before = health_;
  ++checks_;
  if (healthy) {
    ++successes_;
    failures_ = 0;
    if (successes_ >= rise_) health_ = Health::kUp;
  } else {
    ++failures_;
    successes_ = 0;
    if (failures_ >= fall_) health_ = Health::kDown;
  }
  return health_ != before;
}

HealthTracker::HealthTracker(HealthPolicy policy, const common::TimeSource& time) : policy_(policy), time_(time) {
  policy_.fall = std::max(policy_.fall, 1);
  policy_.rise = std::max(policy_.rise, 1);
}

size_t HealthTracker::add() {
  targets_.push_back({RiseFall(policy_.rise, policy_.fall), time_.steady_now()});
  return targets_.size() - 1;
}

void HealthTracker::started(size_t id) {
  targets_[id].due = time_.steady_now() + policy_.interval;
}

void HealthTracker::finished(size_t id, bool healthy) {
  Target& t = targets_[id];
  t.counts.record(healthy);
  // A check that outlasted the interval: the next one starts no earlier than now.
  t.due = std::max(t.due, time_.steady_now());
}

bool HealthTracker::needs_check(size_t id) const {
  const RiseFall& c = targets_[id].counts;
  return c.health() == Health::kUnknown && c.checks() < policy_.max_checks();
}

}  // namespace ecssd::health
