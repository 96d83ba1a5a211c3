#include "common/pacer.h"

#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

namespace ecssd::common {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

SteadyTime at(double s) {
  return SteadyTime{} + std::chrono::duration_cast<SteadyTime::duration>(std::chrono::duration<double>(s));
}
double secs(SteadyTime t) { return std::chrono::duration<double>(t - SteadyTime{}).count(); }

TEST(Pacer, UnpacedUntilTheFirstThrottle) {
  Pacer p({}, 1);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(p.next_send(at(i * 0.001)), at(i * 0.001));
    p.sent(at(i * 0.001));
    p.answered(at(i * 0.001));
  }
  EXPECT_FALSE(p.paced());
  EXPECT_EQ(p.rate(), 0);
}

TEST(Pacer, EachThrottleHalvesTheRateDownToTheFloor) {
  PacerOptions o;
  o.increase = 0;  // only the decrease
  Pacer p(o, 2);
  p.throttled(at(1));
  EXPECT_DOUBLE_EQ(p.rate(), 2.5);
  p.throttled(at(1));
  EXPECT_DOUBLE_EQ(p.rate(), 1.25);
  for (int i = 0; i < 20; ++i) p.throttled(at(1));
  EXPECT_DOUBLE_EQ(p.rate(), o.min_rate);
}

TEST(Pacer, TheGapIsTheRatesJitteredByHalf) {
  PacerOptions o;
  o.increase = 0;
  Pacer p(o, 3);
  p.throttled(at(0));  // 2.5/s: gaps of 0.2 to 0.6 s
  double t = 0, lo = 1e9, hi = 0;
  for (int i = 0; i < 200; ++i) {
    SteadyTime next = p.next_send(at(t));
    double gap = secs(next) - t;
    if (i > 0) {
      lo = std::min(lo, gap);
      hi = std::max(hi, gap);
    }
    t = secs(next);
    p.sent(next);
    p.answered(next);
  }
  EXPECT_GE(lo, 0.2 - 1e-9);
  EXPECT_LE(hi, 0.6 + 1e-9);
  EXPECT_LT(lo, 0.25) << "jittered, not one fixed gap";
  EXPECT_GT(hi, 0.55);
  EXPECT_NEAR(t / 200, 0.4, 0.04) << "the mean gap is 1/rate";
}

TEST(Pacer, GrowsBackAdditivelyAndEndsAfterACalmPeriod) {
  PacerOptions o;
  o.calm = seconds(60);
  Pacer p(o, 4);
  p.throttled(at(0));
  EXPECT_DOUBLE_EQ(p.rate(), 2.5);
  p.answered(at(10));
  EXPECT_NEAR(p.rate(), 2.5 + 10 * o.increase, 1e-9);
  p.answered(at(30));
  EXPECT_NEAR(p.rate(), 2.5 + 30 * o.increase, 1e-9);
  p.answered(at(61));
  EXPECT_FALSE(p.paced()) << "a minute without a throttle";
  EXPECT_EQ(p.next_send(at(61)), at(61));
  // The next throttle starts over from the start rate.
  p.throttled(at(70));
  EXPECT_DOUBLE_EQ(p.rate(), 2.5);
}

TEST(Pacer, AThrottleSetsTheNextGapAtTheNewRate) {
  PacerOptions o;
  o.increase = 0;
  o.min_rate = 0.1;
  Pacer p(o, 5);
  for (int i = 0; i < 10; ++i) p.throttled(at(0));  // 0.1/s: 5 to 15 s
  double gap = secs(p.next_send(at(0)));
  EXPECT_GE(gap, 5.0);
  EXPECT_LE(gap, 15.0);
}

TEST(Pacer, DisabledNeverPaces) {
  PacerOptions o;
  o.enabled = false;
  Pacer p(o, 6);
  p.throttled(at(0));
  EXPECT_FALSE(p.paced());
  EXPECT_EQ(p.next_send(at(0)), at(0));
}

// A fleet of clients, each sending as fast as its pacer lets it, on one token
// bucket (as bench/fleet's proxy): together they settle near the bucket's rate,
// most requests go through, and none is starved.
TEST(Pacer, AFleetSharesOneBucketWithoutCoordination) {
  constexpr int kClients = 100;
  constexpr double kRate = 5.0, kBurst = 5.0, kSeconds = 600;
  std::vector<Pacer> pacers;
  for (int i = 0; i < kClients; ++i) pacers.emplace_back(PacerOptions{}, 100 + i);
  std::vector<double> next(kClients, 0.0);
  std::vector<int> ok(kClients, 0);
  double tokens = kBurst, last = 0;
  int accepted = 0, refused = 0, accepted_late = 0;
  std::mt19937_64 rng(9);
  for (int i = 0; i < kClients; ++i) next[i] = std::uniform_real_distribution<double>(0, 1)(rng);
  while (true) {
    int c = static_cast<int>(std::min_element(next.begin(), next.end()) - next.begin());
    double t = next[c];
    if (t > kSeconds) break;
    tokens = std::min(kBurst, tokens + (t - last) * kRate);
    last = t;
    pacers[c].sent(at(t));
    if (tokens >= 1) {
      tokens -= 1;
      ++accepted;
      ++ok[c];
      if (t > kSeconds / 2) ++accepted_late;
      pacers[c].answered(at(t));
    } else {
      ++refused;
      pacers[c].throttled(at(t));
    }
    // The answer takes 20 ms; the next request goes when the pacer allows.
    next[c] = secs(pacers[c].next_send(at(t + 0.02)));
  }
  const double late_rate = accepted_late / (kSeconds / 2);
  EXPECT_GT(late_rate, 0.8 * kRate) << "the bucket is used";
  // Under contention that never lets up (every client always has a request
  // to send) a paced client still probes above its share: throttled answers
  // stay within a small multiple of the accepted ones, not the hundreds of
  // times an unpaced fleet would get.
  EXPECT_LT(refused, 3 * accepted) << "throttled " << refused << ", accepted " << accepted;
  EXPECT_GT(*std::min_element(ok.begin(), ok.end()), 0.2 * accepted / kClients) << "no client is starved";
}

}  // namespace
}  // namespace ecssd::common
