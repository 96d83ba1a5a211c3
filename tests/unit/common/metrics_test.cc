#include "common/metrics.h"

#include <gtest/gtest.h>

namespace ecssd::common {
namespace {

TEST(Metrics, RendersTheTextExpositionFormat) {
  Metrics m;
  m.counter("t_requests_total", "Requests", {{"op", "create"}}).inc(3);
  m.counter("t_requests_total", "Requests", {{"op", "delete"}}).inc();
  m.gauge("t_ready", "Ready").set(1);
  m.gauge("t_ratio", "Ratio", {{"name", "a\"b"}}).set(0.5);
  std::string out = m.render();
  EXPECT_NE(out.find("# HELP t_requests_total Requests\n# TYPE t_requests_total counter\n"), std::string::npos);
  EXPECT_NE(out.find("t_requests_total{op=\"create\"} 3\n"), std::string::npos);
  EXPECT_NE(out.find("t_requests_total{op=\"delete\"} 1\n"), std::string::npos);
  EXPECT_NE(out.find("# TYPE t_ready gauge\nt_ready 1\n"), std::string::npos);
  EXPECT_NE(out.find("t_ratio{name=\"a\\\"b\"} 0.5\n"), std::string::npos);
}

TEST(Metrics, SameSeriesIsReturnedTwice) {
  Metrics m;
  Counter& a = m.counter("x_total", "X");
  Counter& b = m.counter("x_total", "X");
  EXPECT_EQ(&a, &b);
}

}  // namespace
}  // namespace ecssd::common
