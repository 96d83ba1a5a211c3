#include "reaper/check.h"

#include <gtest/gtest.h>


namespace ecssd::reaper {
namespace {

using namespace std::chrono_literals;
namespace label = model::label;

model::Labels labels(std::initializer_list<std::pair<const std::string, std::string>> l) {
  model::Labels out;
  for (const auto& [k, v] : l) out.emplace(k, v);
  return out;
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
  EXPECT_EQ(spec->status, (health::StatusRule{200, 204}));
  EXPECT_EQ(spec->timeout, 500ms);
  EXPECT_EQ(spec->describe(), "http GET /health?full=1 expect 200-204");
}

TEST(CheckFromLabelsTest, HttpWithoutPathAsksForTheRoot) {
  auto spec = check_from_labels(labels({{"addr", "10.0.0.1:80"}, {"check", "http"}}), 2s);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->http_path, "/");
  EXPECT_EQ(spec->status, health::StatusRule{});
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

TEST(AgentVerdictTest, ReadsTheAgentsHealthLabels) {
  EXPECT_EQ(agent_verdict(labels({{"addr", "10.0.0.1:80"}})), "");
  EXPECT_EQ(agent_verdict(labels({{"health", "passing"}, {"health-since", "1764058355"}})),
            "passing since 2025-11-25T08:12:35Z");
  EXPECT_EQ(agent_verdict(labels({{"health", "passing"}, {"health-since", "soon"}})), "passing");
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

}  // namespace
}  // namespace ecssd::reaper
