#include "plan/plan.h"

#include <algorithm>

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

// Records in key order, so that expectations need not follow the plan's order.
std::vector<Record> by_key(std::vector<Record> v) {
  std::sort(v.begin(), v.end(), [](const Record& a, const Record& b) { return model::key_of(a) < model::key_of(b); });
  return v;
}
std::vector<model::Update> by_key(std::vector<model::Update> v) {
  std::sort(v.begin(), v.end(), [](const model::Update& a, const model::Update& b) {
    return model::key_of(a.new_record) < model::key_of(b.new_record);
  });
  return v;
}

struct Case {
  const char* what;
  std::vector<Record> current;
  std::vector<Record> desired;
  Policy policy;
  // Exactly what the plan must do.
  std::vector<Record> creates;
  std::vector<model::Update> updates;
  std::vector<Record> removes;
  std::vector<std::pair<Record, std::string>> conflicts;  // the desired record and the reason
};

const std::string kForeign = "a record not made by ecssd has the same name, type and set identifier";

TEST(Plan, TableOfDiffs) {
  Record mine_a = rec("web.z", "h1.z", "ecssd:h1:a:80-tcp", "h1");
  Record mine_b = rec("web.z", "h1.z", "ecssd:h1:b:80-tcp", "h1");
  Record mine_c = rec("api.z", "h1.z", "ecssd:h1:c:80-tcp", "h1");
  Record mine_a_ttl = mine_a;
  mine_a_ttl.ttl = 60;
  Record mine_b_ttl = mine_b;
  mine_b_ttl.ttl = 60;
  Record mine_a_value = mine_a;
  mine_a_value.values = {"h1-new.z"};
  Record mine_a_label = mine_a;
  mine_a_label.labels["check"] = "http";
  Record mine_a_weight = mine_a;
  mine_a_weight.weight = 5;
  Record multi = rec("x.z", "1.1.1.1", "ecssd:h1:m:80-tcp", "h1");
  multi.type = RecordType::kA;
  multi.values = {"1.1.1.1", "2.2.2.2"};
  Record multi_reordered = multi;
  multi_reordered.values = {"2.2.2.2", "1.1.1.1"};
  Record multi_more = multi;
  multi_more.values = {"1.1.1.1", "2.2.2.2", "3.3.3.3"};
  Record mine_a_as_a = mine_a;  // same name and set identifier, another type: another key
  mine_a_as_a.type = RecordType::kA;
  mine_a_as_a.values = {"10.0.0.1"};
  Record theirs = rec("web.z", "h2.z", "ecssd:h2:c:80-tcp", "h2");
  Record theirs_same_key = rec("web.z", "h2.z", "ecssd:h1:a:80-tcp", "h2");
  Record foreign = rec("web.z", "legacy.z", "legacy", "");
  Record foreign_same_key = rec("web.z", "legacy.z", "ecssd:h1:a:80-tcp", "");

  const std::vector<Case> cases = {
      {"empty", {}, {}, Policy::kSync, {}, {}, {}, {}},
      {"create missing", {}, {mine_a}, Policy::kSync, {mine_a}, {}, {}, {}},
      {"create several", {mine_b}, {mine_a, mine_b, mine_c}, Policy::kSync, {mine_a, mine_c}, {}, {}, {}},
      {"already there", {mine_a}, {mine_a}, Policy::kSync, {}, {}, {}, {}},
      {"ttl changed", {mine_a}, {mine_a_ttl}, Policy::kSync, {}, {{mine_a, mine_a_ttl}}, {}, {}},
      {"value changed", {mine_a}, {mine_a_value}, Policy::kSync, {}, {{mine_a, mine_a_value}}, {}, {}},
      {"labels changed", {mine_a}, {mine_a_label}, Policy::kSync, {}, {{mine_a, mine_a_label}}, {}, {}},
      {"weight changed", {mine_a}, {mine_a_weight}, Policy::kSync, {}, {{mine_a, mine_a_weight}}, {}, {}},
      {"value order is no change", {multi}, {multi_reordered}, Policy::kSync, {}, {}, {}, {}},
      {"a value more", {multi}, {multi_more}, Policy::kSync, {}, {{multi, multi_more}}, {}, {}},
      {"another type is another record", {mine_a}, {mine_a_as_a}, Policy::kSync, {mine_a_as_a}, {}, {mine_a}, {}},
      {"withdraw mine", {mine_a, mine_b}, {mine_a}, Policy::kSync, {}, {}, {mine_b}, {}},
      {"withdraw all", {mine_a, mine_b, mine_c}, {}, Policy::kSync, {}, {}, {mine_a, mine_b, mine_c}, {}},
      {"never remove others", {theirs, foreign}, {}, Policy::kSync, {}, {}, {}, {}},
      {"others beside mine", {theirs, foreign, mine_b}, {mine_a}, Policy::kSync, {mine_a}, {}, {mine_b}, {}},
      {"conflict with foreign", {foreign_same_key}, {mine_a}, Policy::kSync, {}, {}, {}, {{mine_a, kForeign}}},
      {"conflict with another owner", {theirs_same_key}, {mine_a}, Policy::kSync, {}, {}, {},
       {{mine_a, "owned by h2"}}},
      {"a conflict holds back only its record", {foreign_same_key, mine_b}, {mine_a, mine_b_ttl, mine_c},
       Policy::kSync, {mine_c}, {{mine_b, mine_b_ttl}}, {}, {{mine_a, kForeign}}},
      {"upsert-only keeps extras", {mine_a, mine_b}, {mine_a_ttl}, Policy::kUpsertOnly, {}, {{mine_a, mine_a_ttl}},
       {}, {}},
      {"upsert-only creates", {mine_b}, {mine_a, mine_b}, Policy::kUpsertOnly, {mine_a}, {}, {}, {}},
      {"upsert-only still sees conflicts", {theirs_same_key}, {mine_a}, Policy::kUpsertOnly, {}, {}, {},
       {{mine_a, "owned by h2"}}},
      {"create-only", {mine_a}, {mine_a_ttl, mine_b}, Policy::kCreateOnly, {mine_b}, {}, {}, {}},
      {"create-only never removes", {mine_a, mine_b}, {}, Policy::kCreateOnly, {}, {}, {}, {}},
      {"create-only still sees conflicts", {foreign_same_key}, {mine_a}, Policy::kCreateOnly, {}, {}, {},
       {{mine_a, kForeign}}},
  };
  for (const auto& c : cases) {
    Output out = compute({.current = c.current, .desired = c.desired, .owner = "h1", .policy = c.policy});
    EXPECT_EQ(by_key(out.changes.create), by_key(c.creates)) << c.what;
    EXPECT_EQ(by_key(out.changes.update), by_key(c.updates)) << c.what;
    EXPECT_EQ(by_key(out.changes.remove), by_key(c.removes)) << c.what;
    ASSERT_EQ(out.conflicts.size(), c.conflicts.size()) << c.what;
    for (size_t i = 0; i < c.conflicts.size(); ++i) {
      EXPECT_EQ(out.conflicts[i].desired, c.conflicts[i].first) << c.what;
      EXPECT_EQ(out.conflicts[i].reason, c.conflicts[i].second) << c.what;
    }
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
  EXPECT_FALSE(model::differs(a, b));
  EXPECT_TRUE(compute({.current = {a}, .desired = {b}, .owner = "h1"}).changes.empty());
}

TEST(Plan, EmptyOwnerOwnsNothing) {
  Record unowned = rec("web.z", "h1.z", "s", "");
  Output out = compute({.current = {unowned}, .desired = {}, .owner = ""});
  EXPECT_TRUE(out.changes.empty());
}

}  // namespace
}  // namespace ecssd::plan
