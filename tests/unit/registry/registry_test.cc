#include "registry/registry.h"

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "fakes/run_sync.h"
#include "model/rdata.h"
#include "plan/plan.h"
#include "provider/inmemory/inmemory_provider.h"

namespace ecssd::registry {
namespace {

using model::Record;
using model::RecordType;
using testing::run_sync;

Record owned(std::string name, std::string set, std::string owner, std::string value = "h1.z") {
  Record r;
  r.name = std::move(name);
  r.type = RecordType::kCNAME;
  r.ttl = 10;
  r.values = {std::move(value)};
  r.set_identifier = std::move(set);
  r.weight = 1;
  r.labels = {{"owner", owner}, {"container", "abc"}, {"check", "tcp"}, {"addr", "10.0.0.1:80"}};
  return r;
}

Record plain(std::string name, RecordType type, std::string value, std::string set = "") {
  Record r;
  r.name = std::move(name);
  r.type = type;
  r.ttl = 300;
  r.values = {std::move(value)};
  r.set_identifier = std::move(set);
  if (!r.set_identifier.empty()) r.weight = 5;
  return r;
}

TEST(Companion, NameAndContentRoundTrip) {
  Record r = owned("web.z", "ecssd:h1:abc:80-tcp", "h1");
  EXPECT_EQ(companion_name(r), "cname._ecssd.web.z");
  auto parsed = parse_companion_name("cname._ecssd.web.z");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->first, "web.z");
  EXPECT_EQ(parsed->second, RecordType::kCNAME);
  EXPECT_FALSE(parse_companion_name("web.z"));
  EXPECT_FALSE(parse_companion_name("cname._ecssdx.web.z"));
  EXPECT_FALSE(parse_companion_name("bogus._ecssd.web.z"));

  Record c = companion_of(r);
  EXPECT_EQ(c.type, RecordType::kTXT);
  EXPECT_EQ(c.set_identifier, r.set_identifier);
  auto strings = model::txt_decode(c.values.at(0)).value();
  EXPECT_EQ(strings.front(), "heritage=ecssd");
  EXPECT_NE(std::find(strings.begin(), strings.end(), "owner=h1"), strings.end());
  EXPECT_NE(std::find(strings.begin(), strings.end(), "value=h1.z"), strings.end());

  auto joined = join({plain("web.z", RecordType::kCNAME, "h1.z", r.set_identifier), c}, true);
  ASSERT_EQ(joined.size(), 1u);
  EXPECT_EQ(joined[0].labels, r.labels);
}

// Found by fuzz/service_labels (regressions/cluster_label_over_255_octets):
// a label longer than one character-string was cut, so an ECS cluster name
// of 255 characters (the limit ECS allows) read back as another cluster.
TEST(Companion, LabelsLongerThanACharacterStringReadBackWhole) {
  Record r = owned("web.z", "ecssd:h1:abc:80-tcp", "h1");
  const std::string cluster(255, 'c');
  const std::string arn = "arn:aws:ecs:us-east-1:123456789012:task/" + cluster + "/0123456789abcdef0123456789abcdef";
  r.labels["cluster"] = cluster;
  r.labels["task-arn"] = arn;
  r.labels["container-name"] = std::string(600, 'n');  // three strings
  Record c = companion_of(r);
  auto strings = model::txt_decode(c.values.at(0)).value();
  for (const auto& s : strings) EXPECT_LE(s.size(), 255u);
  auto joined = join({plain("web.z", RecordType::kCNAME, "h1.z", r.set_identifier), c}, true);
  ASSERT_EQ(joined.size(), 1u);
  EXPECT_EQ(joined[0].labels.at("cluster"), cluster);
  EXPECT_EQ(joined[0].labels.at("task-arn"), arn);
  EXPECT_EQ(joined[0].labels.at("container-name"), std::string(600, 'n'));
  EXPECT_EQ(joined[0].labels, r.labels);
}

TEST(Join, ForeignRecordsStayForeignAndCompanionsAreFolded) {
  Record mine = owned("web.z", "ecssd:h1:abc:80-tcp", "h1");
  auto raw = expand(model::ChangeSet{.create = {mine}}).create;
  raw.push_back(plain("web.z", RecordType::kCNAME, "legacy.z", "legacy-set"));
  raw.push_back(plain("other.z", RecordType::kA, "1.2.3.4"));
  // A TXT record that merely looks like a companion but is not ecssd's.
  raw.push_back(plain("cname._ecssd.fake.z", RecordType::kTXT, "\"hello\""));
  auto joined = join(raw, true);
  ASSERT_EQ(joined.size(), 4u);
  int owned_count = 0;
  for (const auto& r : joined) owned_count += !r.owner().empty();
  EXPECT_EQ(owned_count, 1);
}

TEST(Join, OrphansAreReportedSoThePlanRepairsThem) {
  Record mine = owned("web.z", "ecssd:h1:abc:80-tcp", "h1");
  // Main record without its companion: owned via the set identifier.
  auto j1 = join({plain("web.z", RecordType::kCNAME, "h1.z", mine.set_identifier)}, true);
  ASSERT_EQ(j1.size(), 1u);
  EXPECT_EQ(j1[0].owner(), "h1");
  EXPECT_EQ(orphan_of(j1[0]), Orphan::kNoCompanion);
  // Companion without its record.
  auto j2 = join({companion_of(mine)}, true);
  ASSERT_EQ(j2.size(), 1u);
  EXPECT_EQ(j2[0].name, "web.z");
  EXPECT_EQ(j2[0].values, mine.values);
  EXPECT_EQ(orphan_of(j2[0]), Orphan::kNoRecord);
  // A whole pair is no orphan.
  auto j3 = join(expand(model::ChangeSet{.create = {mine}}).create, true);
  ASSERT_EQ(j3.size(), 1u);
  EXPECT_EQ(orphan_of(j3[0]), Orphan::kNone);
  EXPECT_EQ(orphan_of(mine), Orphan::kNone);
}

TEST(Join, ListingsCarryNoGroup) {
  Record mine = owned("web.z", "ecssd:h1:abc:80-tcp", "h1");
  auto raw = expand(model::ChangeSet{.create = {mine}}).create;  // grouped, as a provider that echoes them lists them
  raw.push_back(plain("other.z", RecordType::kA, "1.2.3.4"));
  raw.back().group = "other.z";
  for (bool native : {true, false}) {
    for (const auto& r : join(raw, native)) EXPECT_EQ(r.group, "") << model::describe(r);
  }
}

// The raw records expand() makes, by name and set identifier, with their group.
std::vector<std::pair<std::string, std::string>> groups_of(const std::vector<Record>& raw) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : raw) out.emplace_back(r.name + "/" + r.set_identifier, r.group);
  return out;
}

TEST(Expand, EveryRawRecordAndItsCompanionAreGroupedByTheOwnedName) {
  Record a = owned("web.z", "ecssd:h1:aaa:80-tcp", "h1");
  Record b = owned("api.z", "ecssd:h1:bbb:80-tcp", "h1");
  Record b_new = b;
  b_new.ttl = 30;
  Record c = owned("db.z", "ecssd:h1:ccc:80-tcp", "h1");
  model::ChangeSet raw = expand({.create = {a}, .update = {{b, b_new}}, .remove = {c}});

  ASSERT_EQ(raw.create.size(), 2u);
  EXPECT_EQ(raw.create[0], [&] {
    Record r = a;
    r.labels.clear();
    r.group = "web.z";
    return r;
  }()) << "the record as written: no labels, its group";
  Record ac = companion_of(a);
  ac.group = "web.z";
  EXPECT_EQ(raw.create[1], ac);

  ASSERT_EQ(raw.update.size(), 2u);
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(groups_of({raw.update[0].old_record, raw.update[0].new_record, raw.update[1].old_record,
                       raw.update[1].new_record}),
            (Pairs{{"api.z/ecssd:h1:bbb:80-tcp", "api.z"},
                   {"api.z/ecssd:h1:bbb:80-tcp", "api.z"},
                   {"cname._ecssd.api.z/ecssd:h1:bbb:80-tcp", "api.z"},
                   {"cname._ecssd.api.z/ecssd:h1:bbb:80-tcp", "api.z"}}));
  EXPECT_TRUE(raw.update[0].old_record.labels.empty());
  EXPECT_TRUE(raw.update[0].new_record.labels.empty());

  EXPECT_EQ(groups_of(raw.remove),
            (Pairs{{"db.z/ecssd:h1:ccc:80-tcp", "db.z"}, {"cname._ecssd.db.z/ecssd:h1:ccc:80-tcp", "db.z"}}));
}

TEST(Expand, OrphansGetTheHalfTheyMissInTheirGroup) {
  Record mine = owned("web.z", "ecssd:h1:abc:80-tcp", "h1");
  // The record alone: an update writes the companion; a removal deletes the record only.
  Record bare = mine;
  bare.labels.clear();
  Record only_record = join({bare}, true).at(0);
  ASSERT_EQ(orphan_of(only_record), Orphan::kNoCompanion);
  model::ChangeSet repair = expand({.update = {{only_record, mine}}});
  EXPECT_TRUE(repair.update.empty());
  EXPECT_TRUE(repair.remove.empty());
  Record companion = companion_of(mine);
  companion.group = "web.z";
  EXPECT_EQ(repair.create, (std::vector<Record>{companion}));
  model::ChangeSet drop = expand({.remove = {only_record}});
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(groups_of(drop.remove), (Pairs{{"web.z/ecssd:h1:abc:80-tcp", "web.z"}}));
  EXPECT_TRUE(drop.remove[0].labels.empty());

  // The companion alone: an update writes the record; a removal deletes the companion only.
  Record only_companion = join({companion_of(mine)}, true).at(0);
  ASSERT_EQ(orphan_of(only_companion), Orphan::kNoRecord);
  model::ChangeSet rewrite = expand({.update = {{only_companion, mine}}});
  Record record = mine;
  record.labels.clear();
  record.group = "web.z";
  EXPECT_EQ(rewrite.create, (std::vector<Record>{record}));
  EXPECT_TRUE(rewrite.update.empty()) << "the companion it lists is what the record's labels rebuild";
  model::ChangeSet drop_companion = expand({.remove = {only_companion}});
  EXPECT_EQ(groups_of(drop_companion.remove), (Pairs{{"cname._ecssd.web.z/ecssd:h1:abc:80-tcp", "web.z"}}));
}

TEST(Join, WithoutNativeSetIdentifiersCompanionsClaimValues) {
  Record a = owned("web.z", "ecssd:h1:aaa:80-tcp", "h1", "h1.z");
  Record b = owned("web.z", "ecssd:h1:bbb:80-tcp", "h1", "h1.z");
  Record rrset = plain("web.z", RecordType::kCNAME, "h1.z");
  Record txt = companion_of(a);
  txt.set_identifier.clear();
  txt.values.push_back(companion_of(b).values[0]);
  Record foreign = plain("api.z", RecordType::kA, "1.1.1.1");
  auto joined = join({rrset, txt, foreign}, false);
  ASSERT_EQ(joined.size(), 3u);
  std::set<std::string> sets;
  for (const auto& r : joined) {
    if (!r.owner().empty()) sets.insert(r.set_identifier);
  }
  EXPECT_EQ(sets, (std::set<std::string>{a.set_identifier, b.set_identifier}));
}

class RegistryTest : public ::testing::Test {
 protected:
  boost::asio::io_context io_;
  provider::InMemoryProvider provider_{"z"};
};

TEST_F(RegistryTest, AgentRoundTripCreatesWithCompanionsAndWithdraws) {
  Registry reg(provider_, "h1");
  Record mine = owned("web.z", "ecssd:h1:abc:80-tcp", "h1");
  auto listed = run_sync(io_, reg.records());
  ASSERT_TRUE(listed.ok());
  auto plan_out = plan::compute({.current = *listed, .desired = {mine}, .owner = "h1"});
  auto applied = run_sync(io_, reg.apply(plan_out.changes));
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(applied->applied.create.size(), 1u);
  EXPECT_EQ(provider_.records().size(), 2u);  // record + companion

  listed = run_sync(io_, reg.records());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].labels, mine.labels);

  plan_out = plan::compute({.current = *listed, .desired = {}, .owner = "h1"});
  applied = run_sync(io_, reg.apply(plan_out.changes));
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(applied->applied.remove.size(), 1u);
  EXPECT_TRUE(provider_.records().empty());
}

TEST_F(RegistryTest, RefusesToDeleteWhatTheListingDidNotShowAsOwned) {
  Record foreign = plain("web.z", RecordType::kCNAME, "legacy.z", "legacy");
  Record other_host = owned("web.z", "ecssd:h2:abc:80-tcp", "h2");
  provider_.seed({foreign});
  provider_.seed(expand(model::ChangeSet{.create = {other_host}}).create);
  Registry reg(provider_, "h1");
  ASSERT_TRUE(run_sync(io_, reg.records()).ok());

  Record forged = foreign;
  forged.labels = {{"owner", "h1"}};
  Record forged2 = other_host;
  forged2.labels["owner"] = "h1";
  auto r = run_sync(io_, reg.apply(model::ChangeSet{.remove = {forged, forged2, other_host}}));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->applied.empty());
  EXPECT_EQ(r->failed.size(), 3u);
  EXPECT_EQ(r->failed[0].error.code, common::ErrorCode::kPermissionDenied);
  EXPECT_EQ(provider_.records().size(), 3u);
  EXPECT_EQ(provider_.apply_calls(), 0u);
}

TEST_F(RegistryTest, ReaperScopeMayDeleteAnyEcssdRecordButNotForeignOnes) {
  Record foreign = plain("web.z", RecordType::kCNAME, "legacy.z", "legacy");
  Record h2 = owned("web.z", "ecssd:h2:abc:80-tcp", "h2");
  provider_.seed({foreign});
  provider_.seed(expand(model::ChangeSet{.create = {h2}}).create);
  Registry reaper(provider_, "");
  auto listed = run_sync(io_, reaper.records());
  ASSERT_TRUE(listed.ok());
  auto r = run_sync(io_, reaper.apply(model::ChangeSet{.remove = {h2, foreign}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->applied.remove.size(), 1u);
  EXPECT_EQ(r->failed.size(), 1u);
  ASSERT_EQ(provider_.records().size(), 1u);
  EXPECT_EQ(provider_.records()[0].values[0], "legacy.z");
}

TEST_F(RegistryTest, DeletesTheCompanionExactlyAsListed) {
  // A companion written with another label order (another ecssd version, a
  // hand-made record): what companion_of() would write today does not match it,
  // and a delete must name the stored value (Route 53 refuses anything else).
  Record h2 = owned("web.z", "ecssd:h2:abc:80-tcp", "h2");
  Record stored = companion_of(h2);
  stored.values = {model::txt_encode({"heritage=ecssd", "owner=h2", "set=" + h2.set_identifier,
                                      "value=" + h2.values[0]})};
  Record main = h2;
  main.labels.clear();
  provider_.seed({main, stored});
  Registry reaper(provider_, "");
  auto listed = run_sync(io_, reaper.records());
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  ASSERT_NE(stored.values, companion_of((*listed)[0]).values);
  auto r = run_sync(io_, reaper.apply(model::ChangeSet{.remove = {(*listed)[0]}}));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->failed.empty()) << r->failed[0].error.describe();
  EXPECT_EQ(r->applied.remove.size(), 1u);
  EXPECT_TRUE(provider_.records().empty());
}

TEST_F(RegistryTest, OrphanCompanionIsRepairedByAnUpdate) {
  Record mine = owned("web.z", "ecssd:h1:abc:80-tcp", "h1");
  provider_.seed({companion_of(mine)});
  Registry reg(provider_, "h1");
  auto listed = run_sync(io_, reg.records());
  auto out = plan::compute({.current = *listed, .desired = {mine}, .owner = "h1"});
  ASSERT_EQ(out.changes.update.size(), 1u);
  auto r = run_sync(io_, reg.apply(out.changes));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->failed.empty());
  listed = run_sync(io_, reg.records());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].labels, mine.labels);
  EXPECT_EQ(provider_.records().size(), 2u);
}

TEST_F(RegistryTest, PartialProviderFailureMarksOnlyThatChangeFailed) {
  Record a = owned("a.z", "ecssd:h1:aaa:80-tcp", "h1");
  Record b = owned("b.z", "ecssd:h1:bbb:80-tcp", "h1");
  provider_.refuse_name("b.z");
  Registry reg(provider_, "h1");
  ASSERT_TRUE(run_sync(io_, reg.records()).ok());
  auto r = run_sync(io_, reg.apply(model::ChangeSet{.create = {a, b}}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->applied.create.size(), 1u);
  EXPECT_EQ(r->applied.create[0].name, "a.z");
  ASSERT_EQ(r->failed.size(), 1u);
  EXPECT_EQ(r->failed[0].change.create[0].name, "b.z");
}

TEST_F(RegistryTest, WholeRequestFailureIsAnError) {
  Registry reg(provider_, "h1");
  ASSERT_TRUE(run_sync(io_, reg.records()).ok());
  provider_.fail_next(common::transient_error(common::ErrorCode::kUnavailable, "down"));
  auto r = run_sync(io_, reg.apply(model::ChangeSet{.create = {owned("a.z", "s", "h1")}}));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().transient);
}

}  // namespace
}  // namespace ecssd::registry

namespace ecssd::registry {
namespace {

// A provider without set identifiers that stores records as an RFC 2136
// server does: one RRset per name and type, values added and deleted one by
// one (weights and set identifiers are not stored).
class RrsetProvider final : public provider::Provider {
 public:
  const std::string& zone() const override { return zone_; }
  provider::Capabilities capabilities() const override { return {.set_identifiers = false, .writable = true}; }
  common::Task<common::Result<std::vector<Record>>> list() override {
    std::vector<Record> out;
    for (const auto& [key, values] : rrsets_) {
      if (values.empty()) continue;
      Record r;
      r.name = key.first;
      r.type = key.second;
      r.ttl = 10;
      r.values.assign(values.begin(), values.end());
      out.push_back(std::move(r));
    }
    co_return out;
  }
  common::Task<common::Result<provider::ApplyReport>> apply(model::ChangeSet changes) override {
    for (const auto& r : changes.remove) erase(r);
    for (const auto& u : changes.update) {
      erase(u.old_record);
      insert(u.new_record);
    }
    for (const auto& r : changes.create) insert(r);
    provider::ApplyReport report;
    report.requests = 1;
    report.applied = std::move(changes);
    co_return report;
  }
  std::set<std::string> values(const std::string& name, RecordType type) const {
    auto it = rrsets_.find({name, type});
    return it == rrsets_.end() ? std::set<std::string>{} : it->second;
  }

 private:
  void erase(const Record& r) {
    for (const auto& v : r.values) rrsets_[{r.name, r.type}].erase(v);
  }
  void insert(const Record& r) {
    for (const auto& v : r.values) rrsets_[{r.name, r.type}].insert(v);
  }
  std::string zone_ = "z";
  std::map<std::pair<std::string, RecordType>, std::set<std::string>> rrsets_;
};

class SharedRrsetTest : public ::testing::Test {
 protected:
  std::vector<Record> list(Registry& reg) {
    auto listed = run_sync(io_, reg.records());
    EXPECT_TRUE(listed.ok());
    return listed.ok() ? *listed : std::vector<Record>{};
  }
  void sync(Registry& reg, std::vector<Record> desired) {
    auto out = plan::compute({.current = list(reg), .desired = std::move(desired), .owner = "h1"});
    auto applied = run_sync(io_, reg.apply(out.changes));
    ASSERT_TRUE(applied.ok());
    EXPECT_TRUE(applied->failed.empty());
  }
  boost::asio::io_context io_;
  RrsetProvider provider_;
};

// Two containers of one service on one host (cname mode) share the CNAME's
// one value: withdrawing the first must leave the value for the second.
TEST_F(SharedRrsetTest, WithdrawingOneOfTwoRecordsThatShareAValueKeepsTheValue) {
  Registry reg(provider_, "h1");
  Record a = owned("web.z", "ecssd:h1:aaa:80-tcp", "h1");
  Record b = owned("web.z", "ecssd:h1:bbb:80-tcp", "h1");
  b.labels["container"] = "bbb";
  sync(reg, {a, b});
  EXPECT_EQ(provider_.values("web.z", RecordType::kCNAME), std::set<std::string>{"h1.z"});
  EXPECT_EQ(provider_.values("cname._ecssd.web.z", RecordType::kTXT).size(), 2u);

  sync(reg, {b});
  EXPECT_EQ(provider_.values("web.z", RecordType::kCNAME), std::set<std::string>{"h1.z"});
  ASSERT_EQ(provider_.values("cname._ecssd.web.z", RecordType::kTXT).size(), 1u);
  auto listed = list(reg);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].set_identifier, b.set_identifier);
  EXPECT_EQ(listed[0].values, std::vector<std::string>{"h1.z"});
  EXPECT_EQ(orphan_of(listed[0]), Orphan::kNone);

  sync(reg, {});
  EXPECT_TRUE(provider_.values("web.z", RecordType::kCNAME).empty());
  EXPECT_TRUE(provider_.values("cname._ecssd.web.z", RecordType::kTXT).empty());
}

// Moving one of two records off a shared value deletes nothing the other
// still claims, and a record whose value no one else claims is deleted.
TEST_F(SharedRrsetTest, AnUpdateOffASharedValueKeepsItForTheOther) {
  Registry reg(provider_, "h1");
  Record a = owned("web.z", "ecssd:h1:aaa:80-tcp", "h1");
  a.type = RecordType::kA;
  a.values = {"10.0.0.1"};
  Record b = a;
  b.set_identifier = "ecssd:h1:bbb:80-tcp";
  b.labels["container"] = "bbb";
  sync(reg, {a, b});
  Record a2 = a;
  a2.values = {"10.0.0.2"};
  sync(reg, {a2, b});
  EXPECT_EQ(provider_.values("web.z", RecordType::kA), (std::set<std::string>{"10.0.0.1", "10.0.0.2"}));
  Record b2 = b;
  b2.values = {"10.0.0.3"};
  sync(reg, {a2, b2});
  EXPECT_EQ(provider_.values("web.z", RecordType::kA), (std::set<std::string>{"10.0.0.2", "10.0.0.3"}));
}

}  // namespace
}  // namespace ecssd::registry
