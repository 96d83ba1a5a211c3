#include "common/pacer.h"

#include <algorithm>

namespace ecssd::common {

Pacer::Pacer(PacerOptions options, uint64_t seed) : options_(options), rng_(seed) {}

SteadyTime Pacer::next_send(SteadyTime now) const { return paced() ? std::max(now, next_) : now; }

void Pacer::sent(SteadyTime now) {
  if (!paced()) return;
  std::uniform_real_distribution<double> jitter(0.5, 1.5);
  const double gap_s = jitter(rng_) / rate_;
  next_ = now + std::chrono::duration_cast<SteadyTime::duration>(std::chrono::duration<double>(gap_s));
}

// The additive part: `increase` per second since the rate last changed.
void Pacer::grow(SteadyTime now) {
  if (!paced() || now <= last_change_) return;
  const double seconds = std::chrono::duration<double>(now - last_change_).count();
  rate_ += options_.increase * seconds;
  last_change_ = now;
  if (rate_ >= options_.max_rate || now - last_throttle_ >= options_.calm) rate_ = 0;
}

void Pacer::throttled(SteadyTime now) {
  if (!options_.enabled) return;
  grow(now);
  const double from = paced() ? rate_ : options_.start_rate;
  rate_ = std::max(options_.min_rate, from * options_.decrease);
  last_change_ = now;
  last_throttle_ = now;
  // The gap after this answer is the new rate's, not the old one's.
  sent(now);
}

void Pacer::answered(SteadyTime now) { grow(now); }

}  // namespace ecssd::common
