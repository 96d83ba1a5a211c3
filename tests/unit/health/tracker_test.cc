// Rise/fall thresholds: RiseFall for one target (the agent's), and the
// HealthTracker of a reaper pass, on a simulated clock.
#include "health/tracker.h"

#include <gtest/gtest.h>

#include "common/time_system.h"

namespace ecssd::health {
namespace {

using namespace std::chrono_literals;

TEST(RiseFallTest, UnknownUntilAThresholdThenEachChangeIsATransition) {
  RiseFall t(2, 3);
  EXPECT_EQ(t.health(), Health::kUnknown);
  EXPECT_FALSE(t.record(true));  // 1 of 2
  EXPECT_TRUE(t.record(true));   // up
  EXPECT_EQ(t.health(), Health::kUp);
  EXPECT_FALSE(t.record(true));  // still up: no transition
  EXPECT_FALSE(t.record(false));
  EXPECT_FALSE(t.record(false));
  EXPECT_EQ(t.health(), Health::kUp);  // 2 of 3 failures
  EXPECT_TRUE(t.record(false));
  EXPECT_EQ(t.health(), Health::kDown);
  EXPECT_EQ(t.consecutive_failures(), 3);
  EXPECT_FALSE(t.record(true));  // 1 of 2 passes
  EXPECT_FALSE(t.record(false));  // resets the passes
  EXPECT_FALSE(t.record(true));
  EXPECT_TRUE(t.record(true));
  EXPECT_EQ(t.health(), Health::kUp);
  EXPECT_EQ(t.checks(), 10);
}

TEST(RiseFallTest, FailingFromTheStartIsDownAfterFall) {
  RiseFall t(1, 2);
  EXPECT_FALSE(t.record(false));
  EXPECT_TRUE(t.record(false));
  EXPECT_EQ(t.health(), Health::kDown);
}

TEST(RiseFallTest, ThresholdsBelowOneCountAsOne) {
  RiseFall t(0, -4);
  EXPECT_EQ(t.rise(), 1);
  EXPECT_EQ(t.fall(), 1);
  EXPECT_TRUE(t.record(false));
  EXPECT_TRUE(t.record(true));
}

TEST(RiseFallTest, ASeededVerdictNeedsFallFailuresToChange) {
  RiseFall t(1, 3);
  t.seed(Health::kUp);
  EXPECT_FALSE(t.record(false));
  EXPECT_FALSE(t.record(false));
  EXPECT_TRUE(t.record(false));
  EXPECT_EQ(t.health(), Health::kDown);
}

// --- the reaper's tracker of many targets, on a simulated clock

TEST(HealthTrackerTest, DownAfterFallConsecutiveFailuresSpacedByTheInterval) {
  common::SimulatedTimeSystem time;
  HealthTracker t({.fall = 3, .rise = 1, .interval = 2s}, time);
  size_t id = t.add();
  const auto t0 = time.steady_now();
  EXPECT_TRUE(t.needs_check(id));
  EXPECT_EQ(t.due(id), t0);

  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(t.needs_check(id));
    EXPECT_EQ(t.due(id), t0 + i * 2s);
    time.advance(t.due(id) - time.steady_now());
    t.started(id);
    time.advance(100ms);  // the check takes 100 ms
    t.finished(id, false);
    EXPECT_EQ(t.consecutive_failures(id), i + 1);
  }
  EXPECT_EQ(t.health(id), Health::kDown);
  EXPECT_FALSE(t.needs_check(id));
  EXPECT_EQ(t.checks(id), 3);
}

TEST(HealthTrackerTest, ASuccessResetsTheFailures) {
  common::SimulatedTimeSystem time;
  HealthTracker t({.fall = 3, .rise = 1, .interval = 1s}, time);
  size_t id = t.add();
  for (bool ok : {false, false}) {
    t.started(id);
    t.finished(id, ok);
  }
  EXPECT_EQ(t.health(id), Health::kUnknown);
  t.started(id);
  t.finished(id, true);
  EXPECT_EQ(t.health(id), Health::kUp);
  EXPECT_EQ(t.consecutive_failures(id), 0);
  EXPECT_FALSE(t.needs_check(id));
}

TEST(HealthTrackerTest, RiseNeedsConsecutiveSuccesses) {
  common::SimulatedTimeSystem time;
  HealthTracker t({.fall = 3, .rise = 2, .interval = 1s}, time);
  size_t id = t.add();
  for (bool ok : {true, false, true}) {
    t.started(id);
    t.finished(id, ok);
    EXPECT_EQ(t.health(id), Health::kUnknown);
  }
  t.started(id);
  t.finished(id, true);
  EXPECT_EQ(t.health(id), Health::kUp);
}

TEST(HealthTrackerTest, AFlappingTargetStopsAfterMaxChecksWithoutAVerdict) {
  common::SimulatedTimeSystem time;
  HealthTracker t({.fall = 2, .rise = 2, .interval = 1s}, time);
  size_t id = t.add();
  bool ok = false;
  int checks = 0;
  while (t.needs_check(id)) {
    t.started(id);
    t.finished(id, ok);
    ok = !ok;
    ++checks;
  }
  EXPECT_EQ(checks, t.policy().max_checks());
  EXPECT_EQ(t.health(id), Health::kUnknown);
}

TEST(HealthTrackerTest, ACheckLongerThanTheIntervalDelaysTheNext) {
  common::SimulatedTimeSystem time;
  HealthTracker t({.fall = 3, .rise = 1, .interval = 1s}, time);
  size_t id = t.add();
  t.started(id);
  time.advance(2500ms);  // a 2.5 s timeout
  t.finished(id, false);
  EXPECT_EQ(t.due(id), time.steady_now());
}

}  // namespace
}  // namespace ecssd::health
