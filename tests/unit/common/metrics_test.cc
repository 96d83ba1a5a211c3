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

namespace ecssd::common {
namespace {

TEST(Metrics, HistogramsRenderCumulativeBuckets) {
  Metrics m;
  Histogram& h = m.histogram("t_latency_seconds", "Latency", {{"op", "x"}}, {0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  std::string out = m.render();
  EXPECT_NE(out.find("# TYPE t_latency_seconds histogram\n"), std::string::npos);
  EXPECT_NE(out.find("t_latency_seconds_bucket{op=\"x\",le=\"0.1\"} 1\n"), std::string::npos);
  EXPECT_NE(out.find("t_latency_seconds_bucket{op=\"x\",le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(out.find("t_latency_seconds_bucket{op=\"x\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(out.find("t_latency_seconds_sum{op=\"x\"} 5.55\n"), std::string::npos);
  EXPECT_NE(out.find("t_latency_seconds_count{op=\"x\"} 3\n"), std::string::npos);
}

TEST(Metrics, ScopesAddTheirLabelsAndShareTheRegistry) {
  Metrics m;
  Scope root(m);
  Scope r53 = root.with({{"provider", "route53"}});
  r53.counter("t_calls_total", "Calls", {{"op", "list"}}).inc(2);
  EXPECT_EQ(&r53.counter("t_calls_total", "Calls", {{"op", "list"}}),
            &m.counter("t_calls_total", "Calls", {{"provider", "route53"}, {"op", "list"}}));
  EXPECT_NE(m.render().find("t_calls_total{provider=\"route53\",op=\"list\"} 2\n"), std::string::npos);
  Metrics other;
  Scope(other).counter("t_calls_total", "Calls").inc();
  EXPECT_EQ(m.render().find("t_calls_total 1"), std::string::npos);  // two registries never share series
}

}  // namespace
}  // namespace ecssd::common
