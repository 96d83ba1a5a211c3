// The rate-limited log of bad input, on simulated time: the lines it writes
// are captured through Options::write.
#include "common/log_limiter.h"

#include <boost/asio/io_context.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

namespace ecssd::common {
namespace {

using namespace std::chrono_literals;

struct Line {
  spdlog::level::level_enum level;
  std::string msg;
  std::map<std::string, std::string> fields;
};

class LogLimiterTest : public ::testing::Test {
 protected:
  std::unique_ptr<LogLimiter> make(size_t max_sources = 16) {
    LogLimiter::Options o;
    o.max_sources = max_sources;
    o.write = [this](spdlog::level::level_enum level, std::string_view msg, const std::vector<log::Field>& fields) {
      Line l{level, std::string(msg), {}};
      for (const auto& f : fields) l.fields[std::string(f.key)] = f.value;
      lines_.push_back(std::move(l));
    };
    return std::make_unique<LogLimiter>(time_, io_.get_executor(), "malformed DNS queries", std::move(o));
  }
  // `n` malformed queries from `peer`, spread over `span`.
  void flood(LogLimiter& l, const std::string& peer, int n, Duration span = 0s) {
    for (int i = 0; i < n; ++i) {
      l.note(peer, spdlog::level::warn, "dns: malformed query", {{"size", i}});
      if (span.count() > 0) time_.run_for(io_, span / n);
    }
  }

  SimulatedTimeSystem time_;  // before the io_context: the limiter's timer comes from it
  boost::asio::io_context io_;
  std::vector<Line> lines_;
};

TEST_F(LogLimiterTest, TheFirstInFullThenOneCountLineAMinute) {
  auto l = make();
  flood(*l, "10.0.0.7", 1000, 30s);
  ASSERT_EQ(lines_.size(), 1u);  // 1000 queries, one line so far
  EXPECT_EQ(lines_[0].msg, "dns: malformed query");
  EXPECT_EQ(lines_[0].fields["from"], "10.0.0.7");
  EXPECT_EQ(lines_[0].fields["size"], "0");
  EXPECT_EQ(l->suppressed(), 999u);

  time_.run_for(io_, 30s);  // the window ends: its count is written without waiting for another query
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(lines_[1].msg, "999 more malformed DNS queries from 10.0.0.7 in the last minute");
  EXPECT_EQ(lines_[1].level, spdlog::level::warn);
  EXPECT_EQ(lines_[1].fields["count"], "999");
  EXPECT_EQ(lines_[1].fields["from"], "10.0.0.7");
  EXPECT_EQ(lines_[1].fields["last"], "dns: malformed query");

  // Still flooding: one count line a minute, never the full line again.
  flood(*l, "10.0.0.7", 600, 60s);
  time_.run_for(io_, 1s);
  ASSERT_EQ(lines_.size(), 3u);
  EXPECT_EQ(lines_[2].fields["count"], "600");

  // A quiet minute closes the window without a line; the next one is written in full.
  time_.run_for(io_, 2min);
  EXPECT_EQ(lines_.size(), 3u);
  EXPECT_EQ(l->sources(), 0u);
  flood(*l, "10.0.0.7", 1);
  ASSERT_EQ(lines_.size(), 4u);
  EXPECT_EQ(lines_[3].msg, "dns: malformed query");
}

TEST_F(LogLimiterTest, EachSourceHasItsOwnWindow) {
  auto l = make();
  flood(*l, "10.0.0.1", 5);
  flood(*l, "10.0.0.2", 3);
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(lines_[0].fields["from"], "10.0.0.1");
  EXPECT_EQ(lines_[1].fields["from"], "10.0.0.2");
  time_.run_for(io_, 1min);
  ASSERT_EQ(lines_.size(), 4u);
  EXPECT_EQ(lines_[2].msg, "4 more malformed DNS queries from 10.0.0.1 in the last minute");
  EXPECT_EQ(lines_[3].msg, "2 more malformed DNS queries from 10.0.0.2 in the last minute");
}

TEST_F(LogLimiterTest, ManySourcesShareOneCountBeyondTheLimit) {
  auto l = make(4);
  for (int i = 0; i < 1000; ++i) flood(*l, fmt::format("10.1.{}.{}", i / 256, i % 256), 3);
  // Four sources in full, the fifth opens the shared window; every other is counted.
  EXPECT_EQ(lines_.size(), 5u);
  EXPECT_LE(l->sources(), 5u);
  time_.run_for(io_, 1min);
  EXPECT_EQ(lines_.size(), 10u);  // at most 2 * (max_sources + 1) lines a window
  EXPECT_EQ(lines_.back().fields["from"], std::string(LogLimiter::kOtherSources));
  EXPECT_EQ(lines_.back().fields["count"], std::to_string(996 * 3 - 1));
}

TEST_F(LogLimiterTest, ACountLineTakesTheWorstLevelAndPendingCountsAreWrittenAtTheEnd) {
  auto l = make();
  l->note("c1", spdlog::level::info, "odd answer");
  l->note("c1", spdlog::level::warn, "bad answer");
  l->note("c1", spdlog::level::info, "odd answer");
  time_.run_for(io_, 20s);
  l.reset();  // before the window ended: its count is not lost
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(lines_[1].msg, "2 more malformed DNS queries from c1 in the last 20s");
  EXPECT_EQ(lines_[1].level, spdlog::level::warn);
  time_.run_for(io_, 5min);  // the limiter's timer is gone with it
  EXPECT_EQ(lines_.size(), 2u);
}

TEST_F(LogLimiterTest, CloseWritesThePendingCountsAndKeepsNoIoContextBusy) {
  auto l = make();
  flood(*l, "10.0.0.1", 3);
  l->close();  // a component's stop()
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(lines_[1].msg, "2 more malformed DNS queries from 10.0.0.1 in the last 1s");
  io_.restart();
  io_.run_for(std::chrono::seconds(10));  // returns at once: no timer is left (the bound guards a hang)
  EXPECT_TRUE(io_.stopped());
  EXPECT_TRUE(l->note("10.0.0.1", spdlog::level::warn, "dns: malformed query"));  // in full again
}

TEST_F(LogLimiterTest, TheSourceFieldCanBeNamed) {
  LogLimiter::Options o;
  o.source_field = "container";
  std::vector<std::string> keys;
  o.write = [&](spdlog::level::level_enum, std::string_view, const std::vector<log::Field>& fields) {
    for (const auto& f : fields) keys.emplace_back(f.key);
  };
  LogLimiter l(time_, io_.get_executor(), "unusable inspect answers", o);
  EXPECT_TRUE(l.note("079ff28a8205", spdlog::level::warn, "cannot read container inspect", {{"error", "x"}}));
  EXPECT_FALSE(l.note("079ff28a8205", spdlog::level::warn, "cannot read container inspect", {{"error", "x"}}));
  EXPECT_EQ(keys, (std::vector<std::string>{"error", "container"}));
}

}  // namespace
}  // namespace ecssd::common
