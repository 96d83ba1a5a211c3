#include "reaper/cloud_check.h"

#include <gtest/gtest.h>

#include "fakes/aws/fake_ec2.h"
#include "fakes/aws/fake_ecs.h"
#include "fakes/run_sync.h"

namespace ecssd::reaper {
namespace {

using ecssd::testing::run_sync;

TEST(TaskArnTest, NewAndOldFormats) {
  auto a = parse_task_arn("arn:aws:ecs:us-east-1:123456789012:task/prod/0123abcd");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->region, "us-east-1");
  EXPECT_EQ(a->cluster, "prod");
  auto old = parse_task_arn("arn:aws:ecs:eu-west-1:123456789012:task/0123abcd");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->region, "eu-west-1");
  EXPECT_EQ(old->cluster, "");
  for (const char* bad : {"", "task/prod/x", "arn:aws:ec2:us-east-1:1:task/x", "arn:aws:ecs:us-east-1:1:cluster/x",
                          "arn:aws:ecs::1:task/x", "arn:aws:ecs:us-east-1:1:task/"}) {
    EXPECT_FALSE(parse_task_arn(bad)) << bad;
  }
  EXPECT_EQ(cluster_name("prod"), "prod");
  EXPECT_EQ(cluster_name("arn:aws:ecs:us-east-1:123456789012:cluster/prod"), "prod");
}

class CloudCheckTest : public ::testing::Test {
 protected:
  aws::EcsTask task(const std::string& cluster, const std::string& id, const std::string& desired,
                    const std::string& last) {
    aws::EcsTask t;
    t.task_arn = "arn:aws:ecs:us-east-1:123456789012:task/" + cluster + "/" + id;
    t.desired_status = desired;
    t.last_status = last;
    return t;
  }
  CloudTarget target(const std::string& cluster, const std::string& id, const std::string& cluster_label = "") {
    return {"arn:aws:ecs:us-east-1:123456789012:task/" + cluster + "/" + id, cluster_label, ""};
  }
  CloudReport check(CloudChecker& c, std::vector<CloudTarget> targets) {
    return run_sync(io_, c.check(std::move(targets)));
  }

  boost::asio::io_context io_;
  aws::testing::FakeEcsApi ecs_;
  aws::testing::FakeEc2Api ec2_;
};

TEST_F(CloudCheckTest, RunningStoppingAndStoppedTasks) {
  ecs_.add_task("prod", task("prod", "run", "RUNNING", "RUNNING"));
  ecs_.add_task("prod", task("prod", "pending", "RUNNING", "PENDING"));
  ecs_.add_task("prod", task("prod", "stopping", "STOPPED", "RUNNING"));
  ecs_.add_task("prod", task("prod", "stopped", "STOPPED", "STOPPED"));
  CloudChecker c(&ecs_, nullptr, {.clusters = {"prod"}, .region = "us-east-1"});
  auto r = check(c, {target("prod", "run"), target("prod", "pending"), target("prod", "stopping"),
                     target("prod", "stopped"), {}});
  ASSERT_EQ(r.verdicts.size(), 5u);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.clusters_read, 1u);
  EXPECT_EQ(r.running_tasks, 2u);
  EXPECT_EQ(r.verdicts[0].ecs, Verdict::kAlive);
  EXPECT_EQ(r.verdicts[0].cluster, "prod");
  EXPECT_EQ(r.verdicts[1].ecs, Verdict::kAlive);
  EXPECT_EQ(r.verdicts[2].ecs, Verdict::kDead);
  EXPECT_EQ(r.verdicts[2].ecs_detail, "RUNNING (desired STOPPED)");
  EXPECT_EQ(r.verdicts[3].ecs, Verdict::kDead);
  EXPECT_EQ(r.verdicts[4].ecs, Verdict::kNotAsked);  // no task label
  EXPECT_EQ(r.verdicts[4].ec2, Verdict::kNotAsked);
}

TEST_F(CloudCheckTest, TheClusterLabelWinsOverTheArn) {
  ecs_.add_task("blue", task("old", "x", "RUNNING", "RUNNING"));
  CloudChecker c(&ecs_, nullptr, {.clusters = {"blue"}, .region = "us-east-1"});
  auto r = check(c, {{"arn:aws:ecs:us-east-1:123456789012:task/old/x",
                      "arn:aws:ecs:us-east-1:123456789012:cluster/blue", ""}});
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.verdicts[0].ecs, Verdict::kAlive);
  EXPECT_EQ(r.verdicts[0].cluster, "blue");
}

TEST_F(CloudCheckTest, AListTasksFailureLeavesThatClustersTasksUnknown) {
  ecs_.add_task("prod", task("prod", "1", "RUNNING", "RUNNING"));
  CloudChecker c(&ecs_, nullptr, {.clusters = {"prod", "ghost"}, .region = "us-east-1"});
  auto r = check(c, {target("prod", "1"), target("ghost", "2")});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("ECS ListTasks of cluster ghost failed"), std::string::npos) << r.errors[0];
  EXPECT_EQ(r.verdicts[0].ecs, Verdict::kAlive);
  EXPECT_EQ(r.verdicts[1].ecs, Verdict::kUnknown);
  EXPECT_EQ(r.verdicts[1].ecs_detail, "ECS ListTasks of cluster ghost failed");
}

TEST_F(CloudCheckTest, AllReadsEveryClusterListed) {
  ecs_.add_task("a", task("a", "1", "RUNNING", "RUNNING"));
  ecs_.add_task("b", task("b", "2", "STOPPED", "STOPPED"));
  ecs_.add_cluster("c");
  CloudChecker c(&ecs_, nullptr, {.clusters = {"all"}, .region = "us-east-1"});
  auto r = check(c, {target("a", "1"), target("b", "2"), target("d", "3")});
  EXPECT_EQ(r.clusters_read, 3u);
  EXPECT_EQ(r.verdicts[0].ecs, Verdict::kAlive);
  EXPECT_EQ(r.verdicts[1].ecs, Verdict::kDead);
  EXPECT_EQ(r.verdicts[2].ecs, Verdict::kUnknown);
  EXPECT_EQ(r.verdicts[2].ecs_detail, "cluster d is not read (see --ecs-cluster)");
}

TEST_F(CloudCheckTest, OldFormatArnsWithoutAClusterLabel) {
  aws::EcsTask t = task("x", "1", "RUNNING", "RUNNING");
  t.task_arn = "arn:aws:ecs:us-east-1:123456789012:task/111";
  ecs_.add_task("prod", t);
  CloudChecker c(&ecs_, nullptr, {.clusters = {"prod"}, .region = "us-east-1"});
  auto r = check(c, {{"arn:aws:ecs:us-east-1:123456789012:task/111", "", ""},
                     {"arn:aws:ecs:us-east-1:123456789012:task/222", "", ""}});
  EXPECT_EQ(r.verdicts[0].ecs, Verdict::kAlive);
  EXPECT_EQ(r.verdicts[0].cluster, "prod");
  EXPECT_EQ(r.verdicts[1].ecs, Verdict::kUnknown);
}

TEST_F(CloudCheckTest, ListClustersFailureLeavesEveryTaskUnknown) {
  ecs_.fail_with(common::make_error(common::ErrorCode::kPermissionDenied, "AccessDenied"));
  CloudChecker c(&ecs_, nullptr, {.clusters = {"all"}, .region = "us-east-1"});
  auto r = check(c, {target("a", "1")});
  ASSERT_FALSE(r.errors.empty());
  EXPECT_NE(r.errors[0].find("ECS ListClusters failed"), std::string::npos);
  EXPECT_EQ(r.verdicts[0].ecs, Verdict::kUnknown);
}

TEST_F(CloudCheckTest, Ec2StatesAndUnknownInstancesOneCallWhenAllAreKnown) {
  ec2_.add({.instance_id = "i-1", .state = "running"});
  ec2_.add({.instance_id = "i-2", .state = "pending"});
  ec2_.add({.instance_id = "i-3", .state = "stopping"});
  ec2_.add({.instance_id = "i-4", .state = "shutting-down"});
  ec2_.add({.instance_id = "i-5", .state = "terminated"});
  CloudChecker c(nullptr, &ec2_, {});
  auto r = check(c, {{"", "", "i-1"}, {"", "", "i-2"}, {"", "", "i-3"}, {"", "", "i-4"}, {"", "", "i-5"},
                     {"", "", "i-1"}});
  EXPECT_EQ(ec2_.calls(), 1);
  EXPECT_EQ(r.verdicts[0].ec2, Verdict::kAlive);
  EXPECT_EQ(r.verdicts[1].ec2, Verdict::kAlive);
  EXPECT_EQ(r.verdicts[2].ec2, Verdict::kDead);
  EXPECT_EQ(r.verdicts[3].ec2, Verdict::kDead);
  EXPECT_EQ(r.verdicts[4].ec2, Verdict::kDead);
  EXPECT_EQ(r.verdicts[4].ec2_detail, "terminated");
  EXPECT_EQ(r.verdicts[5].ec2, Verdict::kAlive);
  EXPECT_EQ(r.verdicts[0].ecs, Verdict::kNotAsked);
}

TEST_F(CloudCheckTest, OneUnknownInstanceDoesNotHideTheOthers) {
  ec2_.add({.instance_id = "i-1", .state = "stopped"});
  ec2_.add({.instance_id = "i-2", .state = "running"});
  CloudChecker c(nullptr, &ec2_, {});
  auto r = check(c, {{"", "", "i-1"}, {"", "", "i-gone"}, {"", "", "i-2"}});
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(ec2_.calls(), 4);  // the batch, then each id on its own
  EXPECT_EQ(r.verdicts[0].ec2, Verdict::kDead);
  EXPECT_EQ(r.verdicts[1].ec2, Verdict::kUnknown);
  EXPECT_EQ(r.verdicts[1].ec2_detail, "unknown to EC2");
  EXPECT_EQ(r.verdicts[2].ec2, Verdict::kAlive);
}

TEST_F(CloudCheckTest, ManyInstancesAreAskedInBatches) {
  std::vector<CloudTarget> targets;
  for (int i = 0; i < 250; ++i) {
    ec2_.add({.instance_id = "i-" + std::to_string(i), .state = "running"});
    targets.push_back({"", "", "i-" + std::to_string(i)});
  }
  CloudChecker c(nullptr, &ec2_, {});
  auto r = check(c, targets);
  EXPECT_EQ(ec2_.calls(), 3);
  for (const auto& v : r.verdicts) EXPECT_EQ(v.ec2, Verdict::kAlive);
}

TEST_F(CloudCheckTest, Ec2OutageIsAnErrorAndUnknown) {
  ec2_.fail_with(common::transient_error(common::ErrorCode::kUnavailable, "connection refused"));
  CloudChecker c(nullptr, &ec2_, {});
  auto r = check(c, {{"", "", "i-1"}});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.verdicts[0].ec2, Verdict::kUnknown);
}

TEST_F(CloudCheckTest, StopTaskGoesToTheCluster) {
  ecs_.add_task("prod", task("prod", "run", "RUNNING", "RUNNING"));
  CloudChecker c(&ecs_, nullptr, {.clusters = {"prod"}, .region = "us-east-1"});
  auto s = run_sync(io_, c.stop_task("prod", "arn:aws:ecs:us-east-1:123456789012:task/prod/run", "why"));
  EXPECT_TRUE(s.ok());
  ASSERT_EQ(ecs_.stops().size(), 1u);
  EXPECT_EQ(ecs_.stops()[0].cluster, "prod");
  EXPECT_EQ(ecs_.stops()[0].reason, "why");
}

}  // namespace
}  // namespace ecssd::reaper
