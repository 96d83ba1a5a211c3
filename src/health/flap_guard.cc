#include "health/flap_guard.h"

#include <algorithm>

namespace ecssd::health {

void FlapGuard::forget_before(common::SteadyTime t) {
  changes_.erase(changes_.begin(), std::find_if(changes_.begin(), changes_.end(), [&](auto c) { return c >= t; }));
}

FlapGuard::Change FlapGuard::changed(common::SteadyTime now) {
  last_change_ = now;
  if (policy_.limit <= 0) return Change::kNone;
  changes_.push_back(now);
  forget_before(now - policy_.window);
  if (held_ || changes_.size() <= static_cast<size_t>(policy_.limit)) return Change::kNone;
  held_ = true;
  held_since_ = now;
  return Change::kHeld;
}

FlapGuard::Change FlapGuard::checked(common::SteadyTime now, bool up) {
  if (!held_ || !up || now - last_change_ < policy_.stable) return Change::kNone;
  held_ = false;
  changes_.clear();
  return Change::kReleased;
}

}  // namespace ecssd::health
