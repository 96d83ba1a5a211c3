#include "common/duration.h"

#include <gtest/gtest.h>

namespace ecssd::common {
namespace {

using std::chrono::milliseconds;

TEST(Duration, ParsesEveryUnitTheIssueNames) {
  EXPECT_EQ(parse_duration("500ms").value(), milliseconds(500));
  EXPECT_EQ(parse_duration("5s").value(), milliseconds(5000));
  EXPECT_EQ(parse_duration("5m").value(), milliseconds(300'000));
  EXPECT_EQ(parse_duration("1h").value(), milliseconds(3'600'000));
}

TEST(Duration, ParsesSumsFractionsAndZero) {
  EXPECT_EQ(parse_duration("1m30s").value(), milliseconds(90'000));
  EXPECT_EQ(parse_duration("1.5s").value(), milliseconds(1500));
  EXPECT_EQ(parse_duration("0").value(), milliseconds(0));
  EXPECT_EQ(parse_duration("1500us").value(), milliseconds(2));
}

TEST(Duration, RejectsMalformedTextWithTheTextInTheMessage) {
  for (const char* bad : {"", "5", "s", "5x", "-1s", "5 s", "1h-", "ms"}) {
    auto r = parse_duration(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find(std::string("\"") + bad + "\""), std::string::npos) << r.error().message;
  }
}

TEST(Duration, FormatsCanonically) {
  EXPECT_EQ(format_duration(milliseconds(60'000)), "1m");
  EXPECT_EQ(format_duration(milliseconds(1500)), "1.5s");
  EXPECT_EQ(format_duration(milliseconds(500)), "500ms");
  EXPECT_EQ(format_duration(milliseconds(7'200'000)), "2h");
  EXPECT_EQ(format_duration(milliseconds(0)), "0s");
}

}  // namespace
}  // namespace ecssd::common
