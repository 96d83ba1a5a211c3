#include "model/names.h"
#include "model/rdata.h"

#include <gtest/gtest.h>

namespace ecssd::model {
namespace {

TEST(Rdata, TxtRoundTripsQuotesBackslashesAndControlBytes) {
  std::vector<std::string> in = {"heritage=ecssd", "a \"quoted\" \\ value", std::string("nul\x01", 4), ""};
  std::string p = txt_encode(in);
  EXPECT_EQ(p.substr(0, 17), "\"heritage=ecssd\" ");
  auto out = txt_decode(p);
  ASSERT_TRUE(out.ok()) << out.error().describe();
  EXPECT_EQ(*out, in);
}

TEST(Rdata, TxtSplitsLongStringsAt255) {
  std::string long_one(600, 'x');
  auto out = txt_decode(txt_encode({long_one}));
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->size(), 3u);
  EXPECT_EQ((*out)[0].size(), 255u);
  EXPECT_EQ((*out)[2].size(), 90u);
}

TEST(Rdata, TxtDecodeAcceptsBareStringsAndRejectsBrokenOnes) {
  EXPECT_EQ(txt_decode("abc \"d e\"").value(), (std::vector<std::string>{"abc", "d e"}));
  EXPECT_EQ(txt_decode("\"\\065\"").value(), (std::vector<std::string>{"A"}));
  EXPECT_FALSE(txt_decode("\"open").ok());
  EXPECT_FALSE(txt_decode("\"\\9\"").ok());
  EXPECT_FALSE(txt_decode("\"\\999\"").ok());
  EXPECT_FALSE(txt_decode("\"x\\").ok());
}

TEST(Rdata, Srv) {
  auto s = parse_srv("1 1 18081 Host.Zone.");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->port, 18081);
  EXPECT_EQ(s->target, "host.zone");
  EXPECT_EQ(format_srv(*s), "1 1 18081 host.zone");
  EXPECT_FALSE(parse_srv("1 1 99999 h").ok());
  EXPECT_FALSE(parse_srv("1 1 80").ok());
  EXPECT_FALSE(parse_srv("1 1 80 h extra").ok());
}

// Found by fuzz/route53_xml (regressions/srv_target_ending_in_two_dots): a
// target of "h.." was read as "h." and did not read back the same.
TEST(Rdata, SrvTargetWithAnEmptyLabelIsRefused) {
  for (std::string_view bad : {"1 1 80 h..", "1 1 80 a..b", "1 1 80 .a"}) EXPECT_FALSE(parse_srv(bad).ok()) << bad;
  ASSERT_TRUE(parse_srv("0 0 0 .").ok());
  EXPECT_EQ(format_srv(*parse_srv("0 0 0 .")), "0 0 0 .");
  ASSERT_TRUE(parse_srv("1 1 80 a\\..b").ok());
}

// Found by fuzz/route53_xml (regressions/srv_target_ending_in_a_lone_backslash):
// a target of "h\\\" ("h\\" and a lone backslash) became "h\\\." when
// written absolute, the backslash escaping the dot: another name.
TEST(Rdata, SrvTargetEndingInALoneBackslashIsRefused) {
  for (std::string_view bad : {"1 1 80 h\\", "1 1 80 h\\\\\\", "1 1 80 a.b\\"}) {
    EXPECT_FALSE(parse_srv(bad).ok()) << bad;
  }
  for (std::string_view good : {"1 1 80 h\\\\", "1 1 80 h\\.", "1 1 80 h\\\\."}) {
    EXPECT_TRUE(parse_srv(good).ok()) << good;
  }
  EXPECT_TRUE(has_dangling_escape("h\\"));
  EXPECT_FALSE(has_dangling_escape("h\\\\"));
  EXPECT_FALSE(has_dangling_escape(""));
}

}  // namespace
}  // namespace ecssd::model
