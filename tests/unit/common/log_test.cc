#include "common/log.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace ecssd::log {
namespace {

TEST(Log, TextLinesCarryMessageAndQuotedFields) {
  std::string line = render(Format::kText, spdlog::level::info, "record published",
                            {{"name", "web.zone"}, {"container", "my app"}, {"ttl", 10}});
  EXPECT_NE(line.find(" info  record published name=web.zone container=\"my app\" ttl=10"), std::string::npos)
      << line;
}

TEST(Log, JsonLinesAreValidJsonWithTypedFields) {
  std::string line = render(Format::kJson, spdlog::level::warn, "say \"hi\"\n",
                            {{"name", "a\"b"}, {"count", 3}, {"ok", true}});
  auto v = boost::json::parse(line);
  EXPECT_EQ(v.at("level").as_string(), "warn");
  EXPECT_EQ(v.at("msg").as_string(), "say \"hi\"\n");
  EXPECT_EQ(v.at("name").as_string(), "a\"b");
  EXPECT_EQ(v.at("count").as_int64(), 3);
  EXPECT_EQ(v.at("ok").as_bool(), true);
  EXPECT_TRUE(v.at("time").is_string());
}

TEST(Log, LevelsParse) {
  spdlog::level::level_enum l;
  EXPECT_TRUE(parse_level("debug", &l));
  EXPECT_EQ(l, spdlog::level::debug);
  EXPECT_FALSE(parse_level("loud", &l));
}

}  // namespace
}  // namespace ecssd::log
