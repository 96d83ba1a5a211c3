#include "plan/plan.h"

#include <gtest/gtest.h>

namespace ecssd::plan {
namespace {

using model::Record;
using model::RecordType;

Record rec(std::string name, std::string value, std::string set, std::string owner) {
  Record r;
  r.name = std::move(name);
  r.type = RecordType::kCNAME;
  r.ttl = 10;
  r.values = {std::move(value)};
  r.set_identifier = std::move(set);
  r.weight = 1;
  if (!owner.empty()) r.labels = {{"owner", owner}};
  return r;
}

struct Case {
  const char* what;
  std::vector<Record> current;
  std::vector<Record> desired;
  Policy policy;
  size_t creates, updates, removes, conflicts;
};

TEST(Plan, TableOfDiffs) {
  Record mine_a = rec("web.z", "h1.z", "ecssd:h1:a:80-tcp", "h1");
  Record mine_b = rec("web.z", "h1.z", "ecssd:h1:b:80-tcp", "h1");
  Record mine_a_ttl = mine_a;
  mine_a_ttl.ttl = 60;
  Record theirs = rec("web.z", "h2.z", "ecssd:h2:c:80-tcp", "h2");
  Record foreign = rec("web.z", "legacy.z", "legacy", "");
  Record foreign_same_key = rec("web.z", "legacy.z", "ecssd:h1:a:80-tcp", "");

  const std::vector<Case> cases = {
      {"empty", {}, {}, Policy::kSync, 0, 0, 0, 0},
      {"create missing", {}, {mine_a}, Policy::kSync, 1, 0, 0, 0},
      {"already there", {mine_a}, {mine_a}, Policy::kSync, 0, 0, 0, 0},
      {"ttl changed", {mine_a}, {mine_a_ttl}, Policy::kSync, 0, 1, 0, 0},
      {"withdraw mine", {mine_a, mine_b}, {mine_a}, Policy::kSync, 0, 0, 1, 0},
      {"never remove others", {theirs, foreign}, {}, Policy::kSync, 0, 0, 0, 0},
      {"others beside mine", {theirs, foreign, mine_b}, {mine_a}, Policy::kSync, 1, 0, 1, 0},
      {"conflict with foreign", {foreign_same_key}, {mine_a}, Policy::kSync, 0, 0, 0, 1},
      {"upsert-only keeps extras", {mine_a, mine_b}, {mine_a_ttl}, Policy::kUpsertOnly, 0, 1, 0, 0},
      {"create-only", {mine_a}, {mine_a_ttl, mine_b}, Policy::kCreateOnly, 1, 0, 0, 0},
  };
  for (const auto& c : cases) {
    Output out = compute({.current = c.current, .desired = c.desired, .owner = "h1", .policy = c.policy});
    EXPECT_EQ(out.changes.create.size(), c.creates) << c.what;
    EXPECT_EQ(out.changes.update.size(), c.updates) << c.what;
    EXPECT_EQ(out.changes.remove.size(), c.removes) << c.what;
    EXPECT_EQ(out.conflicts.size(), c.conflicts) << c.what;
  }
}

TEST(Plan, RemovalsCarryTheRecordExactlyAsListed) {
  Record listed = rec("web.z", "h1.z", "ecssd:h1:a:80-tcp", "h1");
  listed.ttl = 33;
  Output out = compute({.current = {listed}, .desired = {}, .owner = "h1"});
  ASSERT_EQ(out.changes.remove.size(), 1u);
  EXPECT_EQ(out.changes.remove[0], listed);
}

TEST(Plan, UpdatesCarryOldAndNew) {
  Record old_r = rec("web.z", "h1.z", "s", "h1");
  Record new_r = old_r;
  new_r.labels["check"] = "http";
  Output out = compute({.current = {old_r}, .desired = {new_r}, .owner = "h1"});
  ASSERT_EQ(out.changes.update.size(), 1u);
  EXPECT_EQ(out.changes.update[0].old_record, old_r);
  EXPECT_EQ(out.changes.update[0].new_record, new_r);
}

TEST(Plan, ValueOrderDoesNotMatter) {
  Record a = rec("x.z", "1.1.1.1", "s", "h1");
  a.type = RecordType::kA;
  a.values = {"1.1.1.1", "2.2.2.2"};
  Record b = a;
  b.values = {"2.2.2.2", "1.1.1.1"};
  EXPECT_FALSE(differs(a, b));
  EXPECT_TRUE(compute({.current = {a}, .desired = {b}, .owner = "h1"}).changes.empty());
}

TEST(Plan, EmptyOwnerOwnsNothing) {
  Record unowned = rec("web.z", "h1.z", "s", "");
  Output out = compute({.current = {unowned}, .desired = {}, .owner = ""});
  EXPECT_TRUE(out.changes.empty());
}

}  // namespace
}  // namespace ecssd::plan
