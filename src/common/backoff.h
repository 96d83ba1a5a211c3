#pragma once
// Capped exponential backoff with full jitter (AWS Architecture Blog, "Exponential
// Backoff And Jitter"): the n-th retry waits a uniform random time in
// [0, min(cap, base * 2^n)], never less than `floor`. Used for every reconnect and
// retry, so a fleet of agents never retries in lock-step.
#include <chrono>
#include <cstdint>
#include <random>

namespace ecssd::common {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap,
          std::chrono::milliseconds floor = std::chrono::milliseconds(0), uint64_t seed = std::random_device{}());

  // The delay before the next attempt; each call counts one more failure.
  std::chrono::milliseconds next();
  // The ceiling next() will draw under, before it is called.
  std::chrono::milliseconds ceiling() const;
  void reset() { attempt_ = 0; }
  uint32_t attempts() const { return attempt_; }

 private:
  std::chrono::milliseconds base_, cap_, floor_;
  uint32_t attempt_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace ecssd::common
