// The stage that changes the zone: deleting through the registry in two
// batches, and stopping failing ECS tasks.
#include "reaper/deletion.h"

#include <gtest/gtest.h>

#include "fakes/aws/fake_ecs.h"
#include "fakes/run_sync.h"
#include "reaper/selection.h"
#include "reaper_fixture.h"

namespace ecssd::reaper {
namespace {

using namespace std::chrono_literals;
using ecssd::testing::run_sync;
using model::Record;
using testing::host;
using testing::kNow;
using testing::RefusingDeletes;
using testing::service;

class DeleteRecordsTest : public ::testing::Test {
 protected:
  DeleteRecordsTest() : mem_("sd.internal") {}

  // Seeds the zone and lists it through `reg` (which then lets the reaper delete what it showed).
  void list(registry::Registry& reg, const std::vector<Record>& records) {
    mem_.seed(registry::expand(model::ChangeSet{.create = records}).create);
    auto listed = run_sync(io_, reg.records());
    ASSERT_TRUE(listed.ok());
    entries_ = select_owned(std::move(*listed), 2s, 60s, common::SystemTime(std::chrono::seconds(kNow))).entries;
  }
  std::vector<Entry*> doomed(std::initializer_list<const char*> names) {
    std::vector<Entry*> out;
    for (const char* n : names) {
      for (auto& e : entries_) {
        if (e->record.name == std::string(n) + ".sd.internal") out.push_back(e.get());
      }
    }
    return out;
  }
  bool exists(const std::string& name) const {
    for (const auto& r : mem_.records()) {
      if (r.name == name + ".sd.internal") return true;
    }
    return false;
  }

  boost::asio::io_context io_;
  provider::InMemoryProvider mem_;
  Entries entries_;
  Report report_;
};

TEST_F(DeleteRecordsTest, ServiceRecordsGoFirstThenHostRecordsInTheirOwnBatch) {
  registry::Registry reg(mem_, "");
  list(reg, {service("h1", "a", "10.0.0.1:80", 1), host("h1", "10.0.0.1"), service("h2", "b", "10.0.1.1:80", 2)});
  run_sync(io_, delete_records(reg, doomed({"h1", "a"}), &report_));
  EXPECT_TRUE(report_.ok);
  EXPECT_EQ(report_.deleted, 2u);
  EXPECT_EQ(mem_.apply_calls(), 2u);
  EXPECT_FALSE(exists("a"));
  EXPECT_FALSE(exists("h1"));
  EXPECT_TRUE(exists("b"));
  for (Entry* e : doomed({"h1", "a"})) EXPECT_EQ(e->rep.decision, Decision::kDeleted);
}

TEST_F(DeleteRecordsTest, AHostRecordIsNotAttemptedWhenAnotherRecordOfItsOwnerFailed) {
  RefusingDeletes refusing(mem_, "a.sd.internal");
  registry::Registry reg(refusing, "");
  list(reg, {service("h1", "a", "10.0.0.1:80", 1), service("h1", "b", "10.0.0.2:80", 2), host("h1", "10.0.0.1")});
  run_sync(io_, delete_records(reg, doomed({"a", "b", "h1"}), &report_));
  EXPECT_FALSE(report_.ok);
  EXPECT_EQ(report_.deleted, 1u);
  EXPECT_EQ(refusing.calls, 1);
  auto entries = doomed({"a", "b", "h1"});
  EXPECT_EQ(entries[0]->rep.decision, Decision::kDeleteFailed);
  EXPECT_NE(entries[0]->rep.error.find("InvalidChangeBatch"), std::string::npos) << entries[0]->rep.error;
  EXPECT_EQ(entries[1]->rep.decision, Decision::kDeleted);
  EXPECT_EQ(entries[2]->rep.decision, Decision::kDeleteFailed);
  EXPECT_EQ(entries[2]->rep.error, "not attempted: deleting another record of its owner failed");
  ASSERT_EQ(report_.errors.size(), 1u);
  EXPECT_EQ(report_.errors[0].rfind("deleting a.sd.internal CNAME", 0), 0u) << report_.errors[0];
  EXPECT_TRUE(exists("h1"));
}

TEST_F(DeleteRecordsTest, AFailedChangeFailsEveryRecordOfItsBatch) {
  registry::Registry reg(mem_, "");
  list(reg, {service("h1", "a", "10.0.0.1:80", 1), service("h1", "b", "10.0.0.2:80", 2), host("h1", "10.0.0.1")});
  mem_.fail_next(common::transient_error(common::ErrorCode::kUnavailable, "zone unreachable"));
  run_sync(io_, delete_records(reg, doomed({"a", "b", "h1"}), &report_));
  EXPECT_FALSE(report_.ok);
  EXPECT_EQ(report_.deleted, 0u);
  ASSERT_EQ(report_.errors.size(), 1u);
  EXPECT_EQ(report_.errors[0].rfind("deleting failed: ", 0), 0u);
  EXPECT_NE(report_.errors[0].find("zone unreachable"), std::string::npos);
  for (Entry* e : doomed({"a", "b", "h1"})) EXPECT_EQ(e->rep.decision, Decision::kDeleteFailed);
  EXPECT_EQ(mem_.apply_calls(), 1u);  // the host record was not sent
}

class StopFailingTasksTest : public DeleteRecordsTest {
 protected:
  static constexpr const char* kTaskPrefix = "arn:aws:ecs:us-east-1:123456789012:task/prod/";

  void add(const std::string& id) {
    aws::EcsTask t;
    t.task_arn = kTaskPrefix + id;
    ecs_.add_task("prod", t);
  }
  // An entry whose HTTP check failed (or not), with ECS's verdict.
  void failing(Entry* e, bool http_down, Verdict ecs) {
    e->http_down = http_down;
    e->cloud.ecs = ecs;
    e->cloud.cluster = "prod";
  }
  model::Labels on_task(const std::string& id) { return {{"task-arn", kTaskPrefix + id}, {"cluster", "prod"}}; }

  aws::testing::FakeEcsApi ecs_;
  CloudChecker cloud_{&ecs_, nullptr, {.clusters = {"prod"}, .region = "us-east-1"}};
};

TEST_F(StopFailingTasksTest, StopsEachRunningTaskWhoseHttpCheckFailedOnce) {
  add("aaa");
  add("bbb");
  registry::Registry reg(mem_, "");
  Record a = service("h1", "a", "10.0.0.1:80", 1, on_task("aaa"));
  Record a6 = a;
  a6.type = model::RecordType::kAAAA;
  a6.values = {"fd00::1"};
  list(reg, {a, a6, service("h1", "b", "10.0.0.2:80", 2, on_task("bbb")),
             service("h1", "c", "10.0.0.3:80", 3, on_task("ccc"))});
  for (auto& e : entries_) failing(e.get(), true, Verdict::kAlive);
  failing(doomed({"b"})[0], false, Verdict::kAlive);  // a TCP failure, or a healthy one: not stopped
  failing(doomed({"c"})[0], true, Verdict::kDead);    // already stopped
  run_sync(io_, stop_failing_tasks(cloud_, &entries_, false, &report_));
  ASSERT_EQ(ecs_.stops().size(), 1u);
  EXPECT_EQ(ecs_.stops()[0].task, kTaskPrefix + std::string("aaa"));
  EXPECT_EQ(ecs_.stops()[0].reason, std::string(kStopReason));
  EXPECT_EQ(report_.tasks_stopped, 1u);
  for (Entry* e : doomed({"a"})) EXPECT_EQ(e->rep.task_stop, "stopped");
  EXPECT_EQ(doomed({"b"})[0]->rep.task_stop, "");
  EXPECT_EQ(doomed({"c"})[0]->rep.task_stop, "");
  EXPECT_TRUE(report_.ok);
}

TEST_F(StopFailingTasksTest, DryRunOnlySaysItWouldStop) {
  add("aaa");
  registry::Registry reg(mem_, "");
  list(reg, {service("h1", "a", "10.0.0.1:80", 1, on_task("aaa"))});
  failing(entries_[0].get(), true, Verdict::kAlive);
  run_sync(io_, stop_failing_tasks(cloud_, &entries_, true, &report_));
  EXPECT_TRUE(ecs_.stops().empty());
  EXPECT_EQ(entries_[0]->rep.task_stop, "would-stop");
  EXPECT_EQ(report_.tasks_stopped, 0u);
}

TEST_F(StopFailingTasksTest, AFailedStopFailsThePass) {
  registry::Registry reg(mem_, "");
  list(reg, {service("h1", "a", "10.0.0.1:80", 1, on_task("gone"))});  // ECS does not know it
  failing(entries_[0].get(), true, Verdict::kAlive);
  run_sync(io_, stop_failing_tasks(cloud_, &entries_, false, &report_));
  EXPECT_FALSE(report_.ok);
  EXPECT_EQ(entries_[0]->rep.task_stop.rfind("failed: ", 0), 0u) << entries_[0]->rep.task_stop;
  ASSERT_EQ(report_.errors.size(), 1u);
  EXPECT_EQ(report_.errors[0].rfind("stopping task " + std::string(kTaskPrefix) + "gone failed: ", 0), 0u);
}

}  // namespace
}  // namespace ecssd::reaper
