// The stage that asks ECS and EC2: targets from the labels, verdicts to their
// entries, failed calls as errors of the pass.
#include "reaper/cloud_verdicts.h"

#include <gtest/gtest.h>

#include "fakes/aws/fake_ec2.h"
#include "fakes/aws/fake_ecs.h"
#include "fakes/run_sync.h"
#include "reaper/selection.h"
#include "reaper_fixture.h"
#include "registry/registry.h"

namespace ecssd::reaper {
namespace {

using namespace std::chrono_literals;
using ecssd::testing::run_sync;
using testing::kNow;
using testing::service;

constexpr const char* kTaskPrefix = "arn:aws:ecs:us-east-1:123456789012:task/prod/";

Entries entries_of(const std::vector<model::Record>& records) {
  auto listed = registry::join(registry::expand(model::ChangeSet{.create = records}).create, true);
  return select_owned(std::move(listed), 2s, 60s, common::SystemTime(std::chrono::seconds(kNow))).entries;
}

TEST(CloudVerdictsTest, TargetsComeFromTheLabelsInEntryOrder) {
  Entries entries = entries_of({service("h1", "a", "10.0.0.1:80", 1,
                                        {{"task-arn", kTaskPrefix + std::string("aaa")}, {"cluster", "prod"}}),
                                service("h1", "b", "10.0.0.2:80", 2, {{"instance", "i-0bbb"}}),
                                service("h1", "c", "10.0.0.3:80", 3)});
  auto targets = cloud_targets(entries);
  ASSERT_EQ(targets.size(), 3u);
  EXPECT_EQ(targets[0].task_arn, kTaskPrefix + std::string("aaa"));
  EXPECT_EQ(targets[0].cluster, "prod");
  EXPECT_EQ(targets[0].instance, "");
  EXPECT_EQ(targets[1].task_arn, "");
  EXPECT_EQ(targets[1].instance, "i-0bbb");
  EXPECT_EQ(targets[2].task_arn, "");
  EXPECT_EQ(targets[2].instance, "");
}

TEST(CloudVerdictsTest, VerdictsGoToTheirEntriesAndFailedCallsFailThePass) {
  Entries entries = entries_of({service("h1", "a", "10.0.0.1:80", 1), service("h1", "b", "10.0.0.2:80", 2)});
  CloudReport cloud;
  cloud.verdicts.resize(2);
  cloud.verdicts[0].ecs = Verdict::kDead;
  cloud.verdicts[0].ecs_detail = "STOPPED (desired STOPPED)";
  cloud.verdicts[1].ec2 = Verdict::kAlive;
  cloud.errors = {"ECS ListTasks prod: Rate exceeded"};
  Report report;
  take_verdicts(entries, std::move(cloud), report);
  EXPECT_EQ(entries[0]->cloud.ecs, Verdict::kDead);
  EXPECT_EQ(entries[0]->cloud.ecs_detail, "STOPPED (desired STOPPED)");
  EXPECT_EQ(entries[1]->cloud.ec2, Verdict::kAlive);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.errors, (std::vector<std::string>{"ECS ListTasks prod: Rate exceeded"}));
}

TEST(CloudVerdictsTest, AskCloudAsksECSAndEC2) {
  aws::testing::FakeEcsApi ecs;
  aws::EcsTask stopped;
  stopped.task_arn = kTaskPrefix + std::string("bbb");
  stopped.desired_status = "STOPPED";
  stopped.last_status = "STOPPED";
  ecs.add_task("prod", stopped);
  aws::testing::FakeEc2Api ec2;
  ec2.add({.instance_id = "i-0aaa", .state = "terminated"});
  CloudChecker checker(&ecs, &ec2, {.clusters = {"prod"}, .region = "us-east-1"});
  Entries entries = entries_of(
      {service("h1", "a", "10.0.0.1:80", 1, {{"instance", "i-0aaa"}}),
       service("h1", "b", "10.0.0.2:80", 2, {{"task-arn", stopped.task_arn}, {"cluster", "prod"}})});
  Report report;
  boost::asio::io_context io;
  run_sync(io, ask_cloud(checker, &entries, &report));
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(entries[0]->cloud.ec2, Verdict::kDead);
  EXPECT_EQ(entries[0]->cloud.ec2_detail, "terminated");
  EXPECT_EQ(entries[1]->cloud.ecs, Verdict::kDead);
}

TEST(CloudVerdictsTest, ACheckerThatAsksNeitherLeavesTheVerdictsNotAsked) {
  aws::testing::FakeEcsApi ecs;  // no --ecs-cluster: ECS is not asked
  CloudChecker checker(&ecs, nullptr, {.region = "us-east-1"});
  Entries entries = entries_of({service("h1", "a", "10.0.0.1:80", 1, {{"instance", "i-0aaa"}})});
  Report report;
  boost::asio::io_context io;
  run_sync(io, ask_cloud(checker, &entries, &report));
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(entries[0]->cloud.ecs, Verdict::kNotAsked);
  EXPECT_EQ(entries[0]->cloud.ec2, Verdict::kNotAsked);
}

}  // namespace
}  // namespace ecssd::reaper
