#include "reaper/check.h"

#include <gtest/gtest.h>

#include "reaper/health_tracker.h"

namespace ecssd::reaper {
namespace {

using namespace std::chrono_literals;
namespace label = model::label;

model::Labels labels(std::initializer_list<std::pair<const std::string, std::string>> l) {
  model::Labels out;
  for (const auto& [k, v] : l) out.emplace(k, v);
  return out;
}

TEST(StatusRuleTest, ParsesOneStatusOrARange) {
  auto one = parse_status_rule("200");
  ASSERT_TRUE(one.ok());
  EXPECT_TRUE(one->matches(200));
  EXPECT_FALSE(one->matches(204));
  EXPECT_EQ(one->describe(), "200");

  auto range = parse_status_rule("200-299");
  ASSERT_TRUE(range.ok());
  EXPECT_TRUE(range->matches(299));
  EXPECT_FALSE(range->matches(301));
  EXPECT_EQ(range->describe(), "200-299");

  StatusRule def;
  EXPECT_TRUE(def.matches(200));
  EXPECT_TRUE(def.matches(302));
  EXPECT_FALSE(def.matches(404));
  EXPECT_FALSE(def.matches(503));
  EXPECT_EQ(def.describe(), "2xx/3xx");

  for (const char* bad : {"", "abc", "99", "600", "300-200", "200-", "-200", "2OO"}) {
    auto r = parse_status_rule(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, common::ErrorCode::kInvalidArgument);
    }
  }
}

TEST(ParseAddressTest, V4AndBracketedV6) {
  std::string ip;
  uint16_t port = 0;
  ASSERT_TRUE(parse_address("10.0.0.1:8080", &ip, &port).ok());
  EXPECT_EQ(ip, "10.0.0.1");
  EXPECT_EQ(port, 8080);
  ASSERT_TRUE(parse_address("[fd00::1]:80", &ip, &port).ok());
  EXPECT_EQ(ip, "fd00::1");
  EXPECT_EQ(port, 80);
  for (const char* bad : {"10.0.0.1", "10.0.0.1:0", "10.0.0.1:70000", "fd00::1:80", "[10.0.0.1]:80",
                          "host.example:80", "[fd00::1]80", ":80", "10.0.0.1:x"}) {
    EXPECT_FALSE(parse_address(bad, &ip, &port).ok()) << bad;
  }
}

TEST(CheckFromLabelsTest, TcpByDefaultWithTheDefaultTimeout) {
  auto spec = check_from_labels(labels({{"addr", "127.0.0.1:18080"}}), 2s);
  ASSERT_TRUE(spec.ok()) << spec.error().describe();
  EXPECT_EQ(spec->kind, CheckKind::kTcp);
  EXPECT_EQ(spec->target(), "127.0.0.1:18080");
  EXPECT_EQ(spec->timeout, 2s);
  EXPECT_EQ(spec->describe(), "tcp");
}

TEST(CheckFromLabelsTest, HttpWithPathStatusAndTimeout) {
  auto spec = check_from_labels(labels({{"addr", "[fd00::2]:81"},
                                        {"check", "http"},
                                        {"check-http", "/health?full=1"},
                                        {"check-http-status", "200-204"},
                                        {"check-timeout", "500ms"}}),
                                2s);
  ASSERT_TRUE(spec.ok()) << spec.error().describe();
  EXPECT_EQ(spec->kind, CheckKind::kHttp);
  EXPECT_EQ(spec->target(), "[fd00::2]:81");
  EXPECT_EQ(spec->http_path, "/health?full=1");
  EXPECT_EQ(spec->status, (StatusRule{200, 204}));
  EXPECT_EQ(spec->timeout, 500ms);
  EXPECT_EQ(spec->describe(), "http GET /health?full=1 expect 200-204");
}

TEST(CheckFromLabelsTest, HttpWithoutPathAsksForTheRoot) {
  auto spec = check_from_labels(labels({{"addr", "10.0.0.1:80"}, {"check", "http"}}), 2s);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->http_path, "/");
  EXPECT_EQ(spec->status, StatusRule{});
}

TEST(CheckFromLabelsTest, NoneNeedsNoAddress) {
  auto spec = check_from_labels(labels({{"check", "none"}}), 2s);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->kind, CheckKind::kNone);
}

TEST(CheckFromLabelsTest, TimeoutIsClampedSoAForgedLabelCannotStallAPass) {
  auto spec = check_from_labels(labels({{"addr", "10.0.0.1:80"}, {"check-timeout", "1h"}}), 2s);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->timeout, 60s);
}

TEST(CheckFromLabelsTest, BadLabelsAreNamed) {
  struct Case {
    model::Labels l;
    std::string needle;
  };
  std::vector<Case> cases = {
      {labels({}), "no addr label"},
      {labels({{"addr", "nonsense"}}), "label addr"},
      {labels({{"addr", "10.0.0.1:80"}, {"check", "icmp"}}), "check=\"icmp\""},
      {labels({{"addr", "10.0.0.1:80"}, {"check", "http"}, {"check-http", "health"}}), "check-http"},
      {labels({{"addr", "10.0.0.1:80"}, {"check", "http"}, {"check-http", "/a b"}}), "check-http"},
      {labels({{"addr", "10.0.0.1:80"}, {"check", "http"}, {"check-http-status", "ok"}}), "check-http-status"},
      {labels({{"addr", "10.0.0.1:80"}, {"check-timeout", "soon"}}), "check-timeout"},
      {labels({{"addr", "10.0.0.1:80"}, {"check-timeout", "0"}}), "check-timeout"},
  };
  for (const auto& c : cases) {
    auto spec = check_from_labels(c.l, 2s);
    ASSERT_FALSE(spec.ok()) << c.needle;
    EXPECT_EQ(spec.error().code, common::ErrorCode::kInvalidArgument);
    EXPECT_NE(spec.error().message.find(c.needle), std::string::npos) << spec.error().message;
  }
}

// --- health tracker, on a simulated clock

TEST(HealthTrackerTest, DownAfterFallConsecutiveFailuresSpacedByTheInterval) {
  common::SimulatedTimeSource time;
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
  common::SimulatedTimeSource time;
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
  common::SimulatedTimeSource time;
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
  common::SimulatedTimeSource time;
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
  common::SimulatedTimeSource time;
  HealthTracker t({.fall = 3, .rise = 1, .interval = 1s}, time);
  size_t id = t.add();
  t.started(id);
  time.advance(2500ms);  // a 2.5 s timeout
  t.finished(id, false);
  EXPECT_EQ(t.due(id), time.steady_now());
}

}  // namespace
}  // namespace ecssd::reaper
