#include "common/backoff.h"

#include <algorithm>

namespace ecssd::common {

Backoff::Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap,
                 std::chrono::milliseconds floor, uint64_t seed)
    : base_(base), cap_(cap), floor_(floor), rng_(seed) {}

std::chrono::milliseconds Backoff::ceiling() const {
  // Shift at most 30 times: beyond that the cap always wins and the shift would overflow.
  int64_t grown = base_.count() << std::min<uint32_t>(attempt_, 30);
  return std::chrono::milliseconds(std::min<int64_t>(grown, cap_.count()));
}

std::chrono::milliseconds Backoff::next() {
  int64_t top = ceiling().count();
  ++attempt_;
  std::uniform_int_distribution<int64_t> dist(0, std::max<int64_t>(top, 0));
  return std::chrono::milliseconds(std::max<int64_t>(dist(rng_), floor_.count()));
}

}  // namespace ecssd::common
