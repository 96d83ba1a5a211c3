// The reaper's pass with ECS and EC2 (fake APIs): records of stopped tasks
// and instances, outages, and --stop-failing-tasks.
#include <gtest/gtest.h>

#include "fakes/aws/fake_ec2.h"
#include "fakes/aws/fake_ecs.h"
#include "reaper_fixture.h"

namespace ecssd::reaper {
namespace {

using testing::ReaperTest;
using testing::service;

class ReaperCloudTest : public ReaperTest {
 protected:
  static constexpr const char* kTaskPrefix = "arn:aws:ecs:us-east-1:123456789012:task/prod/";

  aws::EcsTask task(const std::string& id, const std::string& status = "RUNNING") {
    aws::EcsTask t;
    t.task_arn = kTaskPrefix + id;
    t.cluster_arn = "arn:aws:ecs:us-east-1:123456789012:cluster/prod";
    t.desired_status = status;
    t.last_status = status;
    return t;
  }
  model::Labels on_task(const std::string& id, const std::string& instance = "") {
    model::Labels l = {{"task-arn", kTaskPrefix + id}, {"cluster", "prod"}};
    if (!instance.empty()) l.emplace("instance", instance);
    return l;
  }
  CloudChecker checker() { return CloudChecker(&ecs_, &ec2_, {.clusters = {"prod"}, .region = "us-east-1"}); }

  aws::testing::FakeEcsApi ecs_;
  aws::testing::FakeEc2Api ec2_;
};

TEST_F(ReaperCloudTest, AStoppedTaskIsReapedEvenThoughItsPortAnswers) {
  ecs_.add_task("prod", task("aaa"));
  ecs_.add_task("prod", task("bbb", "STOPPED"));
  ecs_.add_task("prod", task("ccc"));
  seed_owned({service("h1", "a", "10.0.0.1:80", 1, on_task("aaa")),
              service("h1", "b", "10.0.0.2:80", 2, on_task("bbb")),
              service("h1", "c", "10.0.0.3:80", 3, on_task("ccc"))});
  CloudChecker cloud = checker();
  Report report = pass(&cloud);
  EXPECT_TRUE(report.ok);
  EXPECT_FALSE(exists("b"));
  EXPECT_TRUE(exists("a"));
  EXPECT_EQ(probe_.calls_to("10.0.0.2:80"), 0u);  // no probe needed
  const auto& b = find(report, "b");
  EXPECT_EQ(b.ecs, "dead");
  EXPECT_EQ(b.reason, "ECS task STOPPED (desired STOPPED)");
  EXPECT_EQ(find(report, "a").ecs, "alive");
  EXPECT_EQ(find(report, "a").ecs_detail, "RUNNING");
}

TEST_F(ReaperCloudTest, ATaskECSForgotIsDeadOnlyInTheRegionAsked) {
  ecs_.add_task("prod", task("aaa"));
  ecs_.add_task("prod", task("ccc"));
  ecs_.add_task("prod", task("ddd"));
  model::Labels elsewhere = {{"task-arn", "arn:aws:ecs:eu-west-1:123456789012:task/prod/zzz"}, {"cluster", "prod"}};
  seed_owned({service("h1", "a", "10.0.0.1:80", 1, on_task("aaa")),
              service("h1", "gone", "10.0.0.2:80", 2, on_task("forgotten")),
              service("h1", "far", "10.0.0.3:80", 3, elsewhere), service("h1", "c", "10.0.0.4:80", 4, on_task("ccc")),
              service("h1", "d", "10.0.0.5:80", 5, on_task("ddd"))});
  CloudChecker cloud = checker();
  Report report = pass(&cloud);
  EXPECT_FALSE(exists("gone"));
  EXPECT_EQ(find(report, "gone").ecs_detail, "unknown to ECS (stopped and forgotten)");
  EXPECT_TRUE(exists("far"));
  EXPECT_EQ(find(report, "far").ecs, "unknown");
  EXPECT_EQ(find(report, "far").result, "healthy");  // judged by its check only
}

TEST_F(ReaperCloudTest, TasksOfClustersNotReadAreJudgedByTheirChecksOnly) {
  ecs_.add_task("staging", task("sss", "STOPPED"));
  seed_owned({service("h1", "s", "10.0.0.1:80", 1, {{"task-arn", kTaskPrefix + std::string("sss")},
                                                     {"cluster", "staging"}}),
              service("h1", "t", "10.0.0.2:80", 2)});
  CloudChecker cloud = checker();
  Report report = pass(&cloud);
  EXPECT_TRUE(exists("s"));
  EXPECT_EQ(find(report, "s").ecs, "unknown");
  EXPECT_EQ(find(report, "s").ecs_detail, "cluster staging is not read (see --ecs-cluster)");
}

TEST_F(ReaperCloudTest, AllClustersAreReadWithAll) {
  ecs_.add_task("prod", task("aaa"));
  aws::EcsTask staged = task("sss", "STOPPED");
  staged.task_arn = "arn:aws:ecs:us-east-1:123456789012:task/staging/sss";
  ecs_.add_task("staging", staged);
  ecs_.add_task("staging", task("keep"));
  seed_owned({service("h1", "a", "10.0.0.1:80", 1, on_task("aaa")),
              service("h1", "s", "10.0.0.2:80", 2, {{"task-arn", staged.task_arn}}),
              service("h1", "k", "10.0.0.3:80", 3)});
  CloudChecker cloud(&ecs_, &ec2_, {.clusters = {"all"}, .region = "us-east-1"});
  Report report = pass(&cloud);
  EXPECT_FALSE(exists("s"));  // cluster taken from the ARN
  EXPECT_TRUE(exists("a"));
}

TEST_F(ReaperCloudTest, AnECSOutageFailsThePassButHealthChecksStillReap) {
  ecs_.fail_with(common::transient_error(common::ErrorCode::kThrottled, "Rate exceeded"));
  seed_owned({service("h1", "a", "10.0.0.1:80", 1, on_task("aaa")),
              service("h1", "b", "10.0.0.2:80", 2, on_task("bbb")),
              service("h1", "c", "10.0.0.3:80", 3, on_task("ccc"))});
  probe_.script("10.0.0.2:80", {false});
  CloudChecker cloud = checker();
  Report report = pass(&cloud);
  EXPECT_FALSE(report.ok);
  ASSERT_FALSE(report.errors.empty());
  EXPECT_NE(report.errors[0].find("Rate exceeded"), std::string::npos);
  EXPECT_FALSE(exists("b"));
  EXPECT_TRUE(exists("a"));
  EXPECT_EQ(find(report, "a").ecs, "unknown");
}

TEST_F(ReaperCloudTest, RecordsOfAStoppedOrTerminatedInstanceAreReaped) {
  ec2_.add({.instance_id = "i-0aaa", .state = "running"});
  ec2_.add({.instance_id = "i-0bbb", .state = "stopped"});
  ec2_.add({.instance_id = "i-0ccc", .state = "terminated"});
  seed_owned({service("h1", "a", "10.0.0.1:80", 1, {{"instance", "i-0aaa"}}),
              service("h2", "b", "10.0.0.2:80", 2, {{"instance", "i-0bbb"}}),
              service("h3", "c", "10.0.0.3:80", 3, {{"instance", "i-0ccc"}}),
              service("h1", "d", "10.0.0.4:80", 4, {{"instance", "i-0aaa"}}),
              service("h4", "e", "10.0.0.5:80", 5, {{"instance", "i-0fff"}}),  // unknown to EC2
              service("h1", "f", "10.0.0.6:80", 6, {{"instance", "i-0aaa"}})});
  CloudChecker cloud(nullptr, &ec2_, {.region = "us-east-1"});
  Report report = pass(&cloud);
  EXPECT_TRUE(report.ok);
  EXPECT_FALSE(exists("b"));
  EXPECT_FALSE(exists("c"));
  EXPECT_TRUE(exists("a"));
  EXPECT_TRUE(exists("e"));
  EXPECT_EQ(find(report, "b").reason, "EC2 instance i-0bbb is stopped");
  EXPECT_EQ(find(report, "e").ec2, "unknown");
  EXPECT_EQ(find(report, "e").ec2_detail, "unknown to EC2");
  EXPECT_EQ(find(report, "a").ec2, "alive");
}

TEST_F(ReaperCloudTest, StopsTheTaskOfAFailingHttpCheckWhenAsked) {
  options_.stop_failing_tasks = true;
  ecs_.add_task("prod", task("aaa"));
  ecs_.add_task("prod", task("bbb"));
  ecs_.add_task("prod", task("ccc"));
  model::Labels http = on_task("bbb");
  http.emplace("check", "http");
  http.emplace("check-http", "/health");
  model::Labels tcp_failing = on_task("ccc");
  seed_owned({service("h1", "a", "10.0.0.1:80", 1, on_task("aaa")), service("h1", "b", "10.0.0.2:80", 2, http),
              service("h1", "c", "10.0.0.3:80", 3, tcp_failing), service("h1", "d", "10.0.0.4:80", 4),
              service("h1", "e", "10.0.0.5:80", 5)});
  probe_.script("10.0.0.2:80", {false});
  probe_.script("10.0.0.3:80", {false});
  CloudChecker cloud = checker();
  Report report = pass(&cloud);
  EXPECT_TRUE(report.ok);
  // Only the HTTP-checked task is stopped (a TCP failure only reaps the record).
  ASSERT_EQ(ecs_.stops().size(), 1u);
  EXPECT_EQ(ecs_.stops()[0].task, std::string(kTaskPrefix) + "bbb");
  EXPECT_EQ(ecs_.stops()[0].reason, "ecssd health check failed");
  EXPECT_EQ(report.tasks_stopped, 1u);
  EXPECT_EQ(find(report, "b").task_stop, "stopped");
  EXPECT_FALSE(exists("b"));
}

TEST_F(ReaperCloudTest, TasksAreNotStoppedByDefault) {
  ecs_.add_task("prod", task("bbb"));
  model::Labels http = on_task("bbb");
  http.emplace("check", "http");
  seed_owned({service("h1", "b", "10.0.0.2:80", 2, http), service("h1", "c", "10.0.0.3:80", 3),
              service("h1", "d", "10.0.0.4:80", 4)});
  probe_.script("10.0.0.2:80", {false});
  CloudChecker cloud = checker();
  Report report = pass(&cloud);
  EXPECT_EQ(report.deleted, 1u);
  EXPECT_TRUE(ecs_.stops().empty());
  EXPECT_EQ(find(report, "b").task_stop, "");
}

TEST_F(ReaperCloudTest, TasksAreNotStoppedWhenTheSafetyValveTrips) {
  options_.stop_failing_tasks = true;
  ecs_.add_task("prod", task("bbb"));
  model::Labels http = on_task("bbb");
  http.emplace("check", "http");
  seed_owned({service("h1", "b", "10.0.0.2:80", 2, http), service("h1", "c", "10.0.0.3:80", 3)});
  probe_.script("10.0.0.2:80", {false});
  probe_.script("10.0.0.3:80", {false});
  CloudChecker cloud = checker();
  Report report = pass(&cloud);
  EXPECT_TRUE(report.valve.tripped);
  EXPECT_TRUE(ecs_.stops().empty());
  EXPECT_TRUE(exists("b"));
}

TEST_F(ReaperCloudTest, DryRunOnlySaysItWouldStopTheTask) {
  options_.stop_failing_tasks = true;
  options_.dry_run = true;
  ecs_.add_task("prod", task("bbb"));
  model::Labels http = on_task("bbb");
  http.emplace("check", "http");
  seed_owned({service("h1", "b", "10.0.0.2:80", 2, http), service("h1", "c", "10.0.0.3:80", 3)});
  probe_.script("10.0.0.2:80", {false});
  CloudChecker cloud = checker();
  Report report = pass(&cloud);
  EXPECT_TRUE(ecs_.stops().empty());
  EXPECT_EQ(find(report, "b").task_stop, "would-stop");
}

}  // namespace
}  // namespace ecssd::reaper
