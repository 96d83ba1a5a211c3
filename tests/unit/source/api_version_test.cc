#include "source/docker/api_version.h"

#include <gtest/gtest.h>

namespace ecssd::source {
namespace {

using common::ErrorCode;

TEST(ApiVersion, ParsesAndFormats) {
  auto v = parse_api_version("1.41");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->major, 1);
  EXPECT_EQ(v->minor, 41);
  EXPECT_EQ(v->to_string(), "1.41");
  EXPECT_EQ(v->prefix(), "/v1.41");
}

TEST(ApiVersion, RejectsMalformedText) {
  for (const char* bad : {"", "1", "1.", ".41", "1.41.0", "v1.41", "1.4x", "one.two", "1.-4"}) {
    auto v = parse_api_version(bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.error().code, ErrorCode::kProtocol);
  }
}

TEST(ApiVersion, ComparesNumericallyNotAsText) {
  EXPECT_LT(*parse_api_version("1.9"), *parse_api_version("1.24"));
  EXPECT_LT(*parse_api_version("1.41"), *parse_api_version("1.52"));
  EXPECT_LT(*parse_api_version("1.52"), *parse_api_version("2.0"));
}

TEST(ApiVersion, NegotiationUsesTheEnginesVersion) {
  for (const char* v : {"1.24", "1.25", "1.41", "1.43", "1.47", "1.52", "2.3"}) {
    auto n = negotiate_api_version(v);
    ASSERT_TRUE(n.ok()) << v;
    EXPECT_EQ(n->to_string(), v);
  }
}

TEST(ApiVersion, NoHeaderMeansTheOldestSupported) {
  auto n = negotiate_api_version("");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->to_string(), "1.24");
}

TEST(ApiVersion, TooOldOrMalformedEnginesAreRefusedClearly) {
  auto old = negotiate_api_version("1.23");
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.error().code, ErrorCode::kProtocol);
  EXPECT_FALSE(old.error().transient);
  EXPECT_NE(old.error().message.find("1.23"), std::string::npos);
  EXPECT_NE(old.error().message.find("1.24"), std::string::npos);
  EXPECT_FALSE(negotiate_api_version("1.5").ok());
  EXPECT_FALSE(negotiate_api_version("garbage").ok());
}

}  // namespace
}  // namespace ecssd::source
