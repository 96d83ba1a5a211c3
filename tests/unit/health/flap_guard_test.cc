// The flap hold on a simulated clock: more than `limit` verdict changes
// within the window hold a target, until it has been up for `stable`.
#include "health/flap_guard.h"

#include <gtest/gtest.h>

#include "common/time_system.h"

namespace ecssd::health {
namespace {

using namespace std::chrono_literals;
using Change = FlapGuard::Change;

TEST(FlapGuardTest, MoreThanLimitChangesWithinTheWindowStartOneHold) {
  common::SimulatedTimeSystem time;
  FlapGuard g({.limit = 3, .window = 60s, .stable = 60s});
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(g.changed(time.steady_now()), Change::kNone);
    time.advance(10s);
  }
  EXPECT_FALSE(g.held());
  EXPECT_EQ(g.changed(time.steady_now()), Change::kHeld);  // the 4th within a minute
  EXPECT_TRUE(g.held());
  time.advance(5s);
  EXPECT_EQ(g.changed(time.steady_now()), Change::kNone);  // already held: said once
  EXPECT_TRUE(g.held());
}

TEST(FlapGuardTest, ChangesSpreadBeyondTheWindowNeverHold) {
  common::SimulatedTimeSystem time;
  FlapGuard g({.limit = 2, .window = 60s, .stable = 60s});
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(g.changed(time.steady_now()), Change::kNone);
    time.advance(31s);  // at most two within any minute
  }
  EXPECT_FALSE(g.held());
}

TEST(FlapGuardTest, TheHoldEndsAfterStablePassingNotBefore) {
  common::SimulatedTimeSystem time;
  FlapGuard g({.limit = 1, .window = 60s, .stable = 60s});
  g.changed(time.steady_now());
  time.advance(1s);
  ASSERT_EQ(g.changed(time.steady_now()), Change::kHeld);  // now down
  time.advance(1s);
  g.changed(time.steady_now());  // up again
  for (int i = 0; i < 5; ++i) {
    time.advance(10s);
    EXPECT_EQ(g.checked(time.steady_now(), true), Change::kNone);  // 50 s stable: still held
  }
  time.advance(5s);
  EXPECT_EQ(g.checked(time.steady_now(), false), Change::kNone);  // down is never released
  time.advance(5s);
  EXPECT_EQ(g.checked(time.steady_now(), true), Change::kReleased);  // 60 s since the last change
  EXPECT_FALSE(g.held());
  EXPECT_EQ(g.recent_changes(), 0u);
}

TEST(FlapGuardTest, AChangeDuringTheHoldRestartsTheStableTime) {
  common::SimulatedTimeSystem time;
  FlapGuard g({.limit = 1, .window = 60s, .stable = 60s});
  g.changed(time.steady_now());
  ASSERT_EQ(g.changed(time.steady_now()), Change::kHeld);
  time.advance(50s);
  g.changed(time.steady_now());  // down
  time.advance(1s);
  g.changed(time.steady_now());  // up
  time.advance(59s);
  EXPECT_EQ(g.checked(time.steady_now(), true), Change::kNone);
  time.advance(1s);
  EXPECT_EQ(g.checked(time.steady_now(), true), Change::kReleased);
}

TEST(FlapGuardTest, ALimitOfZeroNeverHolds) {
  common::SimulatedTimeSystem time;
  FlapGuard g({.limit = 0, .window = 60s, .stable = 60s});
  for (int i = 0; i < 20; ++i) EXPECT_EQ(g.changed(time.steady_now()), Change::kNone);
  EXPECT_FALSE(g.held());
}

}  // namespace
}  // namespace ecssd::health
