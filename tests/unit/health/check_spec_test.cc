#include "health/check_spec.h"

#include <gtest/gtest.h>

namespace ecssd::health {
namespace {

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

TEST(HttpPathTest, StartsWithASlashAndHasNoSpaces) {
  EXPECT_TRUE(valid_http_path("/"));
  EXPECT_TRUE(valid_http_path("/health?full=1"));
  for (const char* bad : {"", "health", "/a b", "/a\tb", "/\x7f"}) EXPECT_FALSE(valid_http_path(bad)) << bad;
}

TEST(CheckSpecTest, TargetAndDescription) {
  CheckSpec s;
  s.address = "10.0.0.1";
  s.port = 80;
  EXPECT_EQ(s.target(), "10.0.0.1:80");
  EXPECT_EQ(s.describe(), "tcp");
  s.address = "fd00::1";
  EXPECT_EQ(s.target(), "[fd00::1]:80");
  s.kind = CheckKind::kHttp;
  s.http_path = "/health";
  s.status = {200, 200};
  EXPECT_EQ(s.describe(), "http GET /health expect 200");
}

}  // namespace
}  // namespace ecssd::health
