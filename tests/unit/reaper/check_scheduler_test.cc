// The checks of a pass on simulated time: rise/fall through the
// HealthTracker, the spacing of a target's checks, the concurrency bound.
#include "reaper/check_scheduler.h"

#include <gtest/gtest.h>

#include "fakes/health/fake_probe.h"
#include "fakes/reaper/run_simulated.h"

namespace ecssd::reaper {
namespace {

using namespace std::chrono_literals;
using health::testing::FakeProbe;
using testing::run_simulated;

CheckSpec tcp(const std::string& ip) {
  CheckSpec s;
  s.address = ip;
  s.port = 80;
  return s;
}

class CheckSchedulerTest : public ::testing::Test {
 protected:
  CheckResults run(std::vector<CheckSpec> targets, HealthPolicy policy = {.fall = 3, .rise = 1, .interval = 2s},
                   size_t concurrency = 16) {
    CheckScheduler scheduler(probe_, time_, policy, concurrency);
    return run_simulated(io_, time_, scheduler.run(std::move(targets)));
  }

  common::SimulatedTimeSystem time_;  // before the io_context: timers must not outlive it
  boost::asio::io_context io_;
  FakeProbe probe_{time_};
};

TEST_F(CheckSchedulerTest, ADeadTargetIsCheckedFallTimesSpacedByTheInterval) {
  probe_.script("10.0.0.2:80", {false});
  const auto t0 = time_.steady_now();
  CheckResults r = run({tcp("10.0.0.1"), tcp("10.0.0.2")});
  EXPECT_EQ(probe_.times_of("10.0.0.2:80"), (std::vector<common::SteadyTime>{t0, t0 + 2s, t0 + 4s}));
  EXPECT_EQ(probe_.times_of("10.0.0.1:80"), (std::vector<common::SteadyTime>{t0}));
  ASSERT_EQ(r.targets.size(), 2u);
  EXPECT_EQ(r.targets[0].health, Health::kUp);
  EXPECT_EQ(r.targets[0].checks, 1);
  EXPECT_EQ(r.targets[0].detail, "connected");
  EXPECT_EQ(r.targets[1].health, Health::kDown);
  EXPECT_EQ(r.targets[1].checks, 3);
  EXPECT_EQ(r.targets[1].detail, "connection refused");
  EXPECT_EQ(r.probes, 4u);
  EXPECT_EQ(time_.steady_now(), t0 + 4s);  // the pass took simulated time only
}

TEST_F(CheckSchedulerTest, ATargetThatRecoversIsUp) {
  probe_.script("10.0.0.1:80", {false, false, true});
  CheckResults r = run({tcp("10.0.0.1")});
  EXPECT_EQ(r.targets[0].health, Health::kUp);
  EXPECT_EQ(r.targets[0].checks, 3);
}

TEST_F(CheckSchedulerTest, RiseNeedsConsecutiveSuccesses) {
  probe_.script("10.0.0.1:80", {true, false, true, true});
  CheckResults r = run({tcp("10.0.0.1")}, {.fall = 3, .rise = 2, .interval = 1s});
  EXPECT_EQ(r.targets[0].health, Health::kUp);
  EXPECT_EQ(r.targets[0].checks, 4);
}

TEST_F(CheckSchedulerTest, AFlappingTargetEndsUnsettledAfterMaxChecks) {
  probe_.script("10.0.0.1:80", {false, true, false, true, false, true, false, true, false, true});
  CheckResults r = run({tcp("10.0.0.1")}, {.fall = 2, .rise = 2, .interval = 1s});
  EXPECT_EQ(r.targets[0].health, Health::kUnknown);
  EXPECT_EQ(r.targets[0].checks, 8);  // 2 * (fall + rise)
}

TEST_F(CheckSchedulerTest, ACheckLongerThanTheIntervalDelaysTheNext) {
  probe_.script("10.0.0.1:80", {false});
  probe_.set_latency(3s);
  const auto t0 = time_.steady_now();
  CheckResults r = run({tcp("10.0.0.1")});
  EXPECT_EQ(probe_.times_of("10.0.0.1:80"), (std::vector<common::SteadyTime>{t0, t0 + 3s, t0 + 6s}));
  EXPECT_EQ(r.targets[0].health, Health::kDown);
}

TEST_F(CheckSchedulerTest, AtMostConcurrencyChecksAreInFlight) {
  std::vector<CheckSpec> targets;
  for (int i = 0; i < 20; ++i) targets.push_back(tcp("10.0.1." + std::to_string(i)));
  probe_.set_yields(3);
  CheckResults r = run(std::move(targets), {.fall = 3, .rise = 1, .interval = 2s}, 4);
  EXPECT_EQ(r.probes, 20u);
  EXPECT_EQ(probe_.max_in_flight(), 4);
}

TEST_F(CheckSchedulerTest, SlowTargetsOverlapInsteadOfQueueing) {
  std::vector<CheckSpec> targets;
  for (int i = 0; i < 8; ++i) targets.push_back(tcp("10.0.1." + std::to_string(i)));
  probe_.set_latency(1s);
  const auto t0 = time_.steady_now();
  run(std::move(targets), {.fall = 3, .rise = 1, .interval = 2s}, 4);
  // Two waves of four one-second checks.
  EXPECT_EQ(time_.steady_now(), t0 + 2s);
  EXPECT_EQ(probe_.max_in_flight(), 4);
}

TEST_F(CheckSchedulerTest, NoTargetsNoProbes) {
  CheckResults r = run({});
  EXPECT_TRUE(r.targets.empty());
  EXPECT_EQ(r.probes, 0u);
}

TEST_F(CheckSchedulerTest, ThePolicyAppliedHasThresholdsOfAtLeastOne) {
  probe_.script("10.0.0.1:80", {false});
  CheckResults r = run({tcp("10.0.0.1")}, {.fall = 0, .rise = 0, .interval = 1s}, 0);
  EXPECT_EQ(r.policy.fall, 1);
  EXPECT_EQ(r.policy.rise, 1);
  EXPECT_EQ(r.targets[0].health, Health::kDown);
  EXPECT_EQ(r.targets[0].checks, 1);
}

}  // namespace
}  // namespace ecssd::reaper
