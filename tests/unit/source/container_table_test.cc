#include "source/docker/container_table.h"

#include <gtest/gtest.h>

#include "common/metrics.h"

namespace ecssd::source {
namespace {

model::Service service(const std::string& id, const std::string& name, uint16_t port) {
  model::Service s;
  s.container_id = id;
  s.name = name;
  s.container_port = port;
  return s;
}

InspectedContainer inspected(const std::string& id, const std::string& name, bool running,
                             std::string started_at = "2026-11-25T09:00:00Z", std::string health = "") {
  InspectedContainer i;
  i.id = id;
  i.name = name;
  i.status = running ? "running" : "exited";
  i.running = running;
  i.health = std::move(health);
  i.started_at = std::move(started_at);
  i.extraction.services = {service(id, name, 80)};
  return i;
}

size_t count(const std::string& log, std::string_view needle) {
  size_t n = 0;
  for (size_t p = log.find(needle); p != std::string::npos; p = log.find(needle, p + 1)) ++n;
  return n;
}

class ContainerTableTest : public ::testing::Test {
 protected:
  ContainerTable make(bool ignore_health = false) {
    return ContainerTable(ignore_health, SourceMetrics(common::Scope(metrics_)), [this] { ++changes_; });
  }
  common::Metrics metrics_;
  int changes_ = 0;
};

TEST_F(ContainerTableTest, PublishesOnlyInspectedRunningHealthyRuns) {
  auto t = make();
  Container& c = t.get("a1");
  EXPECT_TRUE(t.published(c).empty());  // not inspected yet
  t.apply_inspect("a1", c, inspected("a1", "web", true));
  EXPECT_EQ(t.published(c).size(), 1u);
  c.withdrawn_run = c.started_at;  // this run was told to stop
  EXPECT_TRUE(t.published(c).empty());
  c.withdrawn_run.reset();
  c.health = "starting";
  EXPECT_TRUE(t.published(c).empty());
  c.health = "healthy";
  EXPECT_EQ(t.published(c).size(), 1u);
  c.running = false;
  EXPECT_TRUE(t.published(c).empty());

  auto lenient = make(true);
  Container& u = lenient.get("b2");
  lenient.apply_inspect("b2", u, inspected("b2", "api", true, "t0", "unhealthy"));
  EXPECT_EQ(lenient.published(u).size(), 1u);
}

TEST_F(ContainerTableTest, ForgetWithdrawsOnceAndSignalsOnlyWhatChanged) {
  auto t = make();
  Container& c = t.get("a1");
  t.apply_inspect("a1", c, inspected("a1", "web", true));
  t.get("b2");  // known, publishes nothing
  int before = changes_;
  ::testing::internal::CaptureStderr();
  EXPECT_TRUE(t.forget("a1", "destroy"));
  EXPECT_TRUE(t.forget("b2", "destroy"));
  EXPECT_FALSE(t.forget("c3", "destroy"));
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(changes_, before + 1);
  EXPECT_EQ(count(log, "container withdrawn"), 1u) << log;
  EXPECT_NE(log.find("reason=destroy"), std::string::npos) << log;
  EXPECT_NE(log.find("name=web"), std::string::npos) << log;
  EXPECT_EQ(t.size(), 0u);
}

TEST_F(ContainerTableTest, AnnounceNamesTheKindOfChange) {
  auto t = make();
  std::vector<model::Service> none, one{service("a1", "web", 80)}, two{service("a1", "web", 80), service("a1", "x", 81)};
  ::testing::internal::CaptureStderr();
  t.announce("a1", "web", none, none, "start");
  t.announce("a1", "web", one, one, "start");
  EXPECT_EQ(changes_, 0);
  t.announce("a1", "web", none, one, "start");
  t.announce("a1", "web", one, two, "rename");
  t.announce("a1", "web", two, none, "die");
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(changes_, 3);
  EXPECT_EQ(count(log, "container published"), 1u) << log;
  EXPECT_EQ(count(log, "container services changed"), 1u) << log;
  EXPECT_EQ(count(log, "container withdrawn"), 1u) << log;
  EXPECT_NE(log.find("reason=die"), std::string::npos) << log;
}

TEST_F(ContainerTableTest, InspectsFillTheWithdrawnRunAndANewRunClearsIt) {
  auto t = make();
  Container& c = t.get("a1");
  c.withdrawn_run = "";  // a kill arrived before the first inspect
  t.apply_inspect("a1", c, inspected("a1", "web", true, "run-1"));
  EXPECT_EQ(c.withdrawn_run, "run-1");
  EXPECT_TRUE(t.published(c).empty());
  t.apply_inspect("a1", c, inspected("a1", "web", true, "run-2"));
  EXPECT_FALSE(c.withdrawn_run);
  EXPECT_EQ(t.published(c).size(), 1u);
}

TEST_F(ContainerTableTest, RejectionsAreLoggedOncePerContainerLifetime) {
  auto t = make();
  auto with_rejection = [] {
    auto i = inspected("a1", "bad", true);
    i.extraction.rejections.push_back({"a1", "bad", "SERVICE_abc_NAME", "not a port"});
    return i;
  };
  ::testing::internal::CaptureStderr();
  Container& c = t.get("a1");
  t.apply_inspect("a1", c, with_rejection());
  t.apply_inspect("a1", c, with_rejection());
  t.forget("a1", "destroy");
  Container& again = t.get("a1");
  t.apply_inspect("a1", again, with_rejection());
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(count(log, "ignoring service variable"), 2u) << log;
  EXPECT_EQ(t.rejections_logged(), 2u);
  EXPECT_EQ(metrics_.counter("ecssd_docker_rejected_variables_total", "").value(), 2u);
}

TEST_F(ContainerTableTest, ServicesComeInContainerIdOrder) {
  auto t = make();
  for (const char* id : {"c3", "a1", "b2"}) t.apply_inspect(id, t.get(id), inspected(id, id, true));
  auto s = t.services();
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].container_id, "a1");
  EXPECT_EQ(s[1].container_id, "b2");
  EXPECT_EQ(s[2].container_id, "c3");
  EXPECT_EQ(t.published_count(), 3u);
}

TEST(ContainerIds, OnlyEngineLikeIdsAreUsed) {
  EXPECT_TRUE(valid_id("079ff28a82056e988f45de27f762b28789d9e293bb79ad61d041cc98b37b1061"));
  EXPECT_FALSE(valid_id(""));
  EXPECT_FALSE(valid_id("../../etc"));
  EXPECT_FALSE(valid_id(std::string(129, 'a')));
  EXPECT_EQ(short_id("079ff28a82056e988f45"), "079ff28a8205");
}

}  // namespace
}  // namespace ecssd::source
