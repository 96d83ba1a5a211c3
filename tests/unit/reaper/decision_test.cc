// The decision stage: the rules that make a record dead or keep it, the
// records that depend on their owner's, and the safety valve.
#include "reaper/decision.h"

#include <gtest/gtest.h>

#include "reaper/selection.h"
#include "reaper_fixture.h"
#include "registry/registry.h"

namespace ecssd::reaper {
namespace {

using namespace std::chrono_literals;
using model::Record;
using testing::host;
using testing::kNow;
using testing::service;

class DecisionTest : public ::testing::Test {
 protected:
  // Entries as selected from a listing; `raw_extra` are raw records added as listed (orphans).
  void select(const std::vector<Record>& owned, const std::vector<Record>& raw_extra = {}) {
    std::vector<Record> raw = registry::expand(model::ChangeSet{.create = owned}).create;
    raw.insert(raw.end(), raw_extra.begin(), raw_extra.end());
    entries_ = select_owned(registry::join(raw, true), 2s, 60s, common::SystemTime(std::chrono::seconds(kNow))).entries;
    checks_.policy = {.fall = 3, .rise = 1, .interval = 2s};
    planned_ = false;
  }
  // The check targets, once the cloud verdicts are in (as in a pass).
  void plan() {
    checks_.targets.assign(check_targets(entries_).size(), TargetResult{});
    planned_ = true;
  }
  Entry& named(const std::string& name) {
    for (auto& e : entries_) {
      if (e->record.name == name + ".sd.internal") return *e;
    }
    ADD_FAILURE() << "no entry " << name;
    static Entry none;
    return none;
  }
  // The target result of a checked record.
  TargetResult& target_of(const std::string& name) {
    if (!planned_) plan();
    return checks_.targets.at(static_cast<size_t>(named(name).target));
  }
  void judge() {
    if (!planned_) plan();
    judge_services(entries_, checks_, 60s);
    judge_dependents(entries_);
  }

  Entries entries_;
  CheckResults checks_;
  bool planned_ = false;
};

TEST_F(DecisionTest, ATargetDownAfterFallChecksIsDeadAndSaysWhy) {
  select({service("h1", "web", "10.0.0.1:80", 1), service("h1", "api", "10.0.0.2:80", 2, {{"check", "http"}})});
  target_of("web") = {Health::kDown, 3, "connection refused"};
  target_of("api") = {Health::kDown, 3, "HTTP 503 (expected 2xx/3xx)"};
  judge();
  const Outcome& web = named("web").rep;
  EXPECT_TRUE(web.dead);
  EXPECT_EQ(web.result, "dead");
  EXPECT_EQ(web.checks, 3);
  EXPECT_EQ(web.detail, "connection refused");
  EXPECT_EQ(web.reason, "3 consecutive failed checks, last: connection refused");
  EXPECT_FALSE(named("web").http_down);  // TCP: only the record goes
  EXPECT_TRUE(named("api").http_down);
}

TEST_F(DecisionTest, HealthyAndUnsettledTargetsAreKept) {
  select({service("h1", "web", "10.0.0.1:80", 1), service("h1", "flap", "10.0.0.2:80", 2)});
  target_of("web") = {Health::kUp, 1, "connected"};
  target_of("flap") = {Health::kUnknown, 8, "connected"};
  judge();
  EXPECT_FALSE(named("web").rep.dead);
  EXPECT_EQ(named("web").rep.result, "healthy");
  EXPECT_EQ(named("web").rep.reason, "healthy");
  EXPECT_FALSE(named("flap").rep.dead);
  EXPECT_EQ(named("flap").rep.result, "unsettled");
  EXPECT_EQ(named("flap").rep.reason, "no verdict after 8 checks (flapping): kept");
}

TEST_F(DecisionTest, ECSAndEC2OverruleTheCheck) {
  select({service("h1", "a", "10.0.0.1:80", 1), service("h1", "b", "10.0.0.2:80", 2, {{"instance", "i-0bbb"}})});
  named("a").cloud.ecs = Verdict::kDead;
  named("a").cloud.ecs_detail = "STOPPED (desired STOPPED)";
  named("b").cloud.ec2 = Verdict::kDead;
  named("b").cloud.ec2_detail = "stopped";
  judge();
  EXPECT_TRUE(named("a").rep.dead);
  EXPECT_EQ(named("a").rep.reason, "ECS task STOPPED (desired STOPPED)");
  EXPECT_EQ(named("a").rep.detail, "not probed: ECS says the task is gone");
  EXPECT_EQ(named("a").rep.result, "not-checked");
  EXPECT_TRUE(named("b").rep.dead);
  EXPECT_EQ(named("b").rep.reason, "EC2 instance i-0bbb is stopped");
  EXPECT_EQ(named("b").rep.detail, "not probed: EC2 says the instance is gone");
}

TEST_F(DecisionTest, RecordsNotCheckedAreKeptAndSayWhy) {
  select({service("h1", "odd", "nonsense", 1), service("h1", "udp", "10.0.0.2:53", 2, {{"check", "none"}}),
          service("h1", "new", "10.0.0.3:80", 3, {{"started", std::to_string(kNow - 30)}})});
  judge();
  for (const char* name : {"odd", "udp", "new"}) EXPECT_FALSE(named(name).rep.dead) << name;
  EXPECT_NE(named("odd").rep.reason.find("cannot check: label addr"), std::string::npos);
  EXPECT_EQ(named("odd").rep.detail, named("odd").rep.reason);
  EXPECT_EQ(named("udp").rep.reason, "not checkable (check=none): kept unless ECS or EC2 says it is gone");
  EXPECT_EQ(named("new").rep.reason, "started 30s ago, within --grace 1m");
}

TEST_F(DecisionTest, AHostRecordGoesWithItsOwnersLastRecord) {
  select({service("h1", "a", "10.0.0.1:80", 1), host("h1", "10.0.0.1"), service("h2", "b", "10.0.1.1:80", 2),
          service("h2", "c", "10.0.1.2:80", 3), host("h2", "10.0.1.1"), host("h9", "10.0.9.1")});
  target_of("a").health = Health::kDown;
  target_of("b").health = Health::kDown;
  target_of("c").health = Health::kUp;
  judge();
  EXPECT_TRUE(named("h1").rep.dead);
  EXPECT_EQ(named("h1").rep.reason, "host record: the last service record of owner h1 is reaped");
  EXPECT_FALSE(named("h2").rep.dead);
  EXPECT_EQ(named("h2").rep.reason, "host record: owner h2 still has 1 record(s)");
  EXPECT_TRUE(named("h9").rep.dead);
  EXPECT_EQ(named("h9").rep.reason, "host record: owner h9 publishes no service records");
}

TEST_F(DecisionTest, AnOrphanGoesOnlyWhenEveryOtherRecordOfItsOwnerIsDead) {
  Record dead_orphan = service("h1", "o", "10.0.0.3:80", 3);
  dead_orphan.labels.clear();
  Record live_orphan = service("h2", "p", "10.0.1.3:80", 4);
  live_orphan.labels.clear();
  Record lone_orphan = service("h3", "q", "10.0.2.3:80", 5);
  lone_orphan.labels.clear();
  select({service("h1", "a", "10.0.0.1:80", 1), service("h2", "b", "10.0.1.1:80", 2), host("h3", "10.0.2.1")},
         {dead_orphan, live_orphan, lone_orphan});
  ASSERT_EQ(named("o").kind, EntryKind::kOrphan);
  target_of("a").health = Health::kDown;
  target_of("b").health = Health::kUp;
  judge();
  EXPECT_TRUE(named("o").rep.dead);
  EXPECT_EQ(named("o").rep.reason,
            "ownership data (companion TXT) missing, and every other record of owner h1 is dead");
  EXPECT_FALSE(named("p").rep.dead);
  EXPECT_EQ(named("p").rep.reason, "ownership data (companion TXT) missing: kept, its agent repairs it");
  // An owner with only an orphan left keeps it, and the orphan keeps its host record.
  EXPECT_FALSE(named("q").rep.dead);
  EXPECT_FALSE(named("h3").rep.dead);
  EXPECT_EQ(named("h3").rep.reason, "host record: owner h3 still has 1 record(s)");
}

class DecideTest : public DecisionTest {
 protected:
  // n records of which the first `dead` are dead.
  void dead_of(int dead, int n) {
    std::vector<Record> records;
    for (int i = 0; i < n; ++i) records.push_back(service("h1", "s" + std::to_string(i), "10.0.0.1:80", i));
    select(records);
    for (int i = 0; i < dead; ++i) named("s" + std::to_string(i)).rep.dead = true;
  }
  ReaperOptions options_;
  Report report_;
};

TEST_F(DecideTest, TheValveTripsAboveTheFractionAndHoldsEverything) {
  dead_of(2, 3);
  auto doomed = decide(entries_, options_, report_);
  EXPECT_EQ(doomed.size(), 2u);
  EXPECT_EQ(report_.dead, 2u);
  EXPECT_TRUE(report_.valve.tripped);
  EXPECT_NEAR(report_.valve.fraction, 2.0 / 3.0, 1e-9);
  EXPECT_FALSE(report_.ok);
  ASSERT_EQ(report_.errors.size(), 1u);
  EXPECT_EQ(report_.errors[0].rfind("safety valve: 2 of 3 owned records (67%) are dead, more than "
                                    "--max-delete-fraction 0.5; nothing deleted",
                                    0),
            0u)
      << report_.errors[0];
  for (Entry* e : doomed) EXPECT_EQ(e->rep.decision, Decision::kHeld);
  EXPECT_EQ(named("s2").rep.decision, Decision::kKeep);
}

TEST_F(DecideTest, ExactlyTheFractionPasses) {
  dead_of(1, 2);
  auto doomed = decide(entries_, options_, report_);
  EXPECT_FALSE(report_.valve.tripped);
  EXPECT_TRUE(report_.ok);
  ASSERT_EQ(doomed.size(), 1u);
  EXPECT_EQ(doomed[0]->rep.decision, Decision::kKeep);  // to be deleted
}

TEST_F(DecideTest, ForceOverridesTheValve) {
  options_.force = true;
  dead_of(3, 3);
  auto doomed = decide(entries_, options_, report_);
  EXPECT_TRUE(report_.valve.forced);
  EXPECT_FALSE(report_.valve.tripped);
  EXPECT_TRUE(report_.ok);
  EXPECT_EQ(doomed.size(), 3u);
}

TEST_F(DecideTest, NothingDeadTripsNothing) {
  options_.max_delete_fraction = 0;
  dead_of(0, 2);
  EXPECT_TRUE(decide(entries_, options_, report_).empty());
  EXPECT_FALSE(report_.valve.tripped);
  EXPECT_EQ(report_.valve.fraction, 0);
}

// A reaper partitioned from every target: the checked records all fail, the
// young ones (within --grace, not checked) keep the dead fraction under the limit.
TEST_F(DecideTest, NoCheckedTargetAnsweringHoldsEverything) {
  std::vector<Record> records;
  for (int i = 0; i < 5; ++i) {
    auto started = std::to_string(kNow - (i < 2 ? 3600 : 10));
    records.push_back(service("h1", "s" + std::to_string(i), "10.0.0.1:8" + std::to_string(i), i, {{"started", started}}));
  }
  select(records);
  target_of("s0") = {Health::kDown, 3, "timed out"};
  target_of("s1") = {Health::kDown, 3, "timed out"};
  judge();
  auto doomed = decide(entries_, options_, report_);
  EXPECT_EQ(doomed.size(), 2u);
  EXPECT_LT(report_.valve.fraction, options_.max_delete_fraction);
  EXPECT_TRUE(report_.valve.tripped);
  EXPECT_FALSE(report_.ok);
  ASSERT_EQ(report_.errors.size(), 1u);
  EXPECT_EQ(report_.errors[0].rfind("safety valve: all 2 checked records failed their checks and none answered", 0),
            0u)
      << report_.errors[0];
  for (Entry* e : doomed) EXPECT_EQ(e->rep.decision, Decision::kHeld);

  // One target that answers shows the network works: the dead go.
  Report again;
  target_of("s1") = {Health::kUp, 1, "connected"};
  for (auto& e : entries_) e->rep = Outcome{.owner = "h1"};
  judge();
  doomed = decide(entries_, options_, again);
  EXPECT_FALSE(again.valve.tripped);
  ASSERT_EQ(doomed.size(), 1u);
  EXPECT_EQ(doomed[0]->rep.decision, Decision::kKeep);  // to be deleted

  // --force overrides it.
  Report forced;
  options_.force = true;
  target_of("s1") = {Health::kDown, 3, "timed out"};
  for (auto& e : entries_) e->rep = Outcome{.owner = "h1"};
  judge();
  EXPECT_EQ(decide(entries_, options_, forced).size(), 2u);
  EXPECT_TRUE(forced.valve.forced);
  EXPECT_FALSE(forced.valve.tripped);
}

TEST_F(DecideTest, DryRunAndReadOnlySayWhatWouldGo) {
  options_.dry_run = true;
  dead_of(1, 3);
  auto doomed = decide(entries_, options_, report_);
  ASSERT_EQ(doomed.size(), 1u);
  EXPECT_EQ(doomed[0]->rep.decision, Decision::kWouldDelete);

  Report read_only;
  read_only.read_only = true;
  options_.dry_run = false;
  doomed[0]->rep.decision = Decision::kKeep;
  doomed = decide(entries_, options_, read_only);
  EXPECT_EQ(doomed[0]->rep.decision, Decision::kReadOnly);
  EXPECT_TRUE(read_only.ok);
}

}  // namespace
}  // namespace ecssd::reaper
