// The RFC 2136 planner, table by table: which prerequisites guard which
// change, what is refused and why, where messages are cut.
#include "provider/rfc2136/planner.h"

#include <gtest/gtest.h>

namespace ecssd::provider::rfc2136 {
namespace {

using dns::Prerequisite;
using dns::Rr;
using dns::UpdateOp;
using model::Record;
using model::RecordType;
using PK = Prerequisite::Kind;
using UK = UpdateOp::Kind;

constexpr const char* kZone = "svc.test";

Record rec(std::string name, RecordType type, std::vector<std::string> values, std::string group = "",
           uint32_t ttl = 10) {
  Record r;
  r.name = std::move(name);
  r.type = type;
  r.ttl = ttl;
  r.values = std::move(values);
  r.group = std::move(group);
  return r;
}

dns::ZoneCopy zone(std::vector<Rr> rrs) {
  dns::ZoneCopy c(kZone);
  rrs.insert(rrs.begin(), Rr{kZone, RecordType::kSOA, 60, "ns.svc.test hm.svc.test 7 1 1 1 1"});
  EXPECT_TRUE(c.replace(std::move(rrs)).ok());
  return c;
}

Rr rr(std::string name, RecordType type, std::string value) { return Rr{std::move(name), type, 10, std::move(value)}; }

std::vector<size_t> all(const std::vector<Group>& g) {
  std::vector<size_t> out(g.size());
  for (size_t i = 0; i < g.size(); ++i) out[i] = i;
  return out;
}

Plan plan(const dns::ZoneCopy& z, const model::ChangeSet& c, size_t max = 65000) {
  auto groups = group_changes(c);
  return plan_updates(z, groups, all(groups), max);
}

const std::string kCompanion = "\"heritage=ecssd\" \"set=ecssd:h1:abc:80-tcp\" \"value=1 1 80 h1.svc.test\" \"owner=h1\"";
const std::string kOther = "\"heritage=ecssd\" \"set=ecssd:h2:def:80-tcp\" \"value=1 1 80 h2.svc.test\" \"owner=h2\"";

TEST(Rfc2136Planner, GroupsFollowRecordGroup) {
  model::ChangeSet c;
  c.create = {rec("a.svc.test", RecordType::kA, {"10.0.0.1"}, "g1"), rec("x.svc.test", RecordType::kA, {"10.0.0.2"})};
  c.remove = {rec("a._ecssd.a.svc.test", RecordType::kTXT, {"\"x\""}, "g1"), rec("y.svc.test", RecordType::kA, {"1.1.1.1"})};
  auto g = group_changes(c);
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g[0].changes.create.size(), 1u);
  EXPECT_EQ(g[0].changes.remove.size(), 1u);
  EXPECT_EQ(g[1].changes.create[0].name, "x.svc.test");
  EXPECT_EQ(g[2].changes.remove[0].name, "y.svc.test");
}

TEST(Rfc2136Planner, CreatesAreGuardedAgainstCnames) {
  auto z = zone({});
  model::ChangeSet c;
  c.create = {rec("_web._tcp.svc.test", RecordType::kSRV, {"1 1 80 h1.svc.test"}, "g"),
              rec("srv._ecssd._web._tcp.svc.test", RecordType::kTXT, {kCompanion}, "g"),
              rec("web.svc.test", RecordType::kCNAME, {"h1.svc.test"}, "c")};
  auto p = plan(z, c);
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_TRUE(p.refused.empty());
  const auto& r = p.messages[0].request;
  EXPECT_EQ(r.prerequisites, (std::vector<Prerequisite>{
                                 {PK::kRrsetAbsent, "_web._tcp.svc.test", RecordType::kCNAME, {}},
                                 {PK::kRrsetAbsent, "srv._ecssd._web._tcp.svc.test", RecordType::kCNAME, {}},
                                 {PK::kNameNotInUse, "web.svc.test", RecordType::kCNAME, {}},
                             }));
  EXPECT_EQ(r.updates, (std::vector<UpdateOp>{
                           {UK::kAdd, "_web._tcp.svc.test", RecordType::kSRV, 10, "1 1 80 h1.svc.test"},
                           {UK::kAdd, "srv._ecssd._web._tcp.svc.test", RecordType::kTXT, 10, kCompanion},
                           {UK::kAdd, "web.svc.test", RecordType::kCNAME, 10, "h1.svc.test"},
                       }));
  EXPECT_EQ(p.messages[0].groups, (std::vector<size_t>{0, 1}));
}

TEST(Rfc2136Planner, DeletesNeedTheWholeRrsetAsListedCompanionIncluded) {
  // Another agent's SRV value and companion share both RRsets.
  auto z = zone({rr("_web._tcp.svc.test", RecordType::kSRV, "1 1 80 h1.svc.test"),
                 rr("_web._tcp.svc.test", RecordType::kSRV, "1 1 80 h2.svc.test"),
                 rr("srv._ecssd._web._tcp.svc.test", RecordType::kTXT, kCompanion),
                 rr("srv._ecssd._web._tcp.svc.test", RecordType::kTXT, kOther)});
  model::ChangeSet c;
  c.remove = {rec("_web._tcp.svc.test", RecordType::kSRV, {"1 1 80 h1.svc.test"}, "g"),
              rec("srv._ecssd._web._tcp.svc.test", RecordType::kTXT, {kCompanion}, "g")};
  auto p = plan(z, c);
  ASSERT_EQ(p.messages.size(), 1u);
  const auto& r = p.messages[0].request;
  EXPECT_EQ(r.prerequisites,
            (std::vector<Prerequisite>{
                {PK::kRrsetEquals, "_web._tcp.svc.test", RecordType::kSRV, {"1 1 80 h1.svc.test", "1 1 80 h2.svc.test"}},
                {PK::kRrsetEquals, "srv._ecssd._web._tcp.svc.test", RecordType::kTXT, {kCompanion, kOther}},
            }));
  EXPECT_EQ(r.updates, (std::vector<UpdateOp>{
                           {UK::kDelete, "_web._tcp.svc.test", RecordType::kSRV, 0, "1 1 80 h1.svc.test"},
                           {UK::kDelete, "srv._ecssd._web._tcp.svc.test", RecordType::kTXT, 0, kCompanion},
                       }));
}

TEST(Rfc2136Planner, UpdateReplacesOnlyWhatChangedUnderTheRrsetGuard) {
  auto z = zone({rr("web.svc.test", RecordType::kA, "10.0.0.1"), rr("web.svc.test", RecordType::kA, "10.0.0.9")});
  model::ChangeSet c;
  c.update = {{rec("web.svc.test", RecordType::kA, {"10.0.0.1"}), rec("web.svc.test", RecordType::kA, {"10.0.0.2"})}};
  auto p = plan(z, c);
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_EQ(p.messages[0].request.prerequisites,
            (std::vector<Prerequisite>{{PK::kRrsetEquals, "web.svc.test", RecordType::kA, {"10.0.0.1", "10.0.0.9"}},
                                       {PK::kRrsetAbsent, "web.svc.test", RecordType::kCNAME, {}}}));
  EXPECT_EQ(p.messages[0].request.updates,
            (std::vector<UpdateOp>{{UK::kDelete, "web.svc.test", RecordType::kA, 0, "10.0.0.1"},
                                   {UK::kAdd, "web.svc.test", RecordType::kA, 10, "10.0.0.2"}}));
}

TEST(Rfc2136Planner, TtlOnlyUpdateRewritesTheValue) {
  auto z = zone({rr("web.svc.test", RecordType::kA, "10.0.0.1")});
  model::ChangeSet c;
  c.update = {{rec("web.svc.test", RecordType::kA, {"10.0.0.1"}), rec("web.svc.test", RecordType::kA, {"10.0.0.1"}, "", 30)}};
  auto p = plan(z, c);
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_EQ(p.messages[0].request.updates,
            (std::vector<UpdateOp>{{UK::kDelete, "web.svc.test", RecordType::kA, 0, "10.0.0.1"},
                                   {UK::kAdd, "web.svc.test", RecordType::kA, 30, "10.0.0.1"}}));
}

// RFC 2181 section 5.2: one TTL per RRset, and servers give the RRset the TTL
// of the value last added (BIND does). Others' values must keep theirs.
TEST(Rfc2136Planner, ValueJoiningAnRrsetOfOthersTakesItsTtl) {
  auto z = zone({Rr{"_web._tcp.svc.test", RecordType::kSRV, 30, "0 0 9999 manual.svc.test"}});
  model::ChangeSet c;
  c.create = {rec("_web._tcp.svc.test", RecordType::kSRV, {"1 1 80 h1.svc.test"}, "g"),
              rec("srv._ecssd._web._tcp.svc.test", RecordType::kTXT, {kCompanion}, "g")};
  auto p = plan(z, c);
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_EQ(p.messages[0].request.updates,
            (std::vector<UpdateOp>{{UK::kAdd, "_web._tcp.svc.test", RecordType::kSRV, 30, "1 1 80 h1.svc.test"},
                                   {UK::kAdd, "srv._ecssd._web._tcp.svc.test", RecordType::kTXT, 10, kCompanion}}));
}

TEST(Rfc2136Planner, TtlOfAnRrsetHoldingOthersValuesIsLeftAlone) {
  auto z = zone({Rr{"_web._tcp.svc.test", RecordType::kSRV, 30, "0 0 9999 manual.svc.test"},
                 Rr{"_web._tcp.svc.test", RecordType::kSRV, 30, "1 1 80 h1.svc.test"}});
  model::ChangeSet c;
  c.update = {{rec("_web._tcp.svc.test", RecordType::kSRV, {"1 1 80 h1.svc.test"}, "g", 30),
               rec("_web._tcp.svc.test", RecordType::kSRV, {"1 1 80 h1.svc.test"}, "g", 10)}};
  auto p = plan(z, c);
  EXPECT_TRUE(p.messages.empty());
  EXPECT_EQ(p.done, (std::vector<size_t>{0}));
  EXPECT_TRUE(visible(z, effect_of(group_changes(c)[0])));
}

TEST(Rfc2136Planner, TtlChangeOfEveryValueOfAnRrsetRewritesIt) {
  auto z = zone({rr("_web._tcp.svc.test", RecordType::kSRV, "1 1 80 h1.svc.test"),
                 rr("_web._tcp.svc.test", RecordType::kSRV, "1 1 81 h1.svc.test")});
  model::ChangeSet c;
  c.update = {{rec("_web._tcp.svc.test", RecordType::kSRV, {"1 1 80 h1.svc.test"}, "a"),
               rec("_web._tcp.svc.test", RecordType::kSRV, {"1 1 80 h1.svc.test"}, "a", 30)},
              {rec("_web._tcp.svc.test", RecordType::kSRV, {"1 1 81 h1.svc.test"}, "b"),
               rec("_web._tcp.svc.test", RecordType::kSRV, {"1 1 81 h1.svc.test"}, "b", 30)}};
  auto p = plan(z, c);
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_EQ(p.messages[0].request.updates,
            (std::vector<UpdateOp>{{UK::kDelete, "_web._tcp.svc.test", RecordType::kSRV, 0, "1 1 80 h1.svc.test"},
                                   {UK::kAdd, "_web._tcp.svc.test", RecordType::kSRV, 30, "1 1 80 h1.svc.test"},
                                   {UK::kDelete, "_web._tcp.svc.test", RecordType::kSRV, 0, "1 1 81 h1.svc.test"},
                                   {UK::kAdd, "_web._tcp.svc.test", RecordType::kSRV, 30, "1 1 81 h1.svc.test"}}));
}

TEST(Rfc2136Planner, WhatTheZoneAlreadyShowsIsDone) {
  auto z = zone({rr("web.svc.test", RecordType::kA, "10.0.0.1")});
  model::ChangeSet c;
  c.create = {rec("web.svc.test", RecordType::kA, {"10.0.0.1"})};
  c.remove = {rec("gone.svc.test", RecordType::kA, {"10.0.0.5"})};
  auto p = plan(z, c);
  EXPECT_TRUE(p.messages.empty());
  EXPECT_EQ(p.done, (std::vector<size_t>{0, 1}));
}

TEST(Rfc2136Planner, PartlyGoneGroupIsRefusedNotForced) {
  // The companion is gone (someone removed it): the record must not be deleted without its mark.
  auto z = zone({rr("_web._tcp.svc.test", RecordType::kSRV, "1 1 80 h1.svc.test")});
  model::ChangeSet c;
  c.remove = {rec("_web._tcp.svc.test", RecordType::kSRV, {"1 1 80 h1.svc.test"}, "g"),
              rec("srv._ecssd._web._tcp.svc.test", RecordType::kTXT, {kCompanion}, "g")};
  auto p = plan(z, c);
  EXPECT_TRUE(p.messages.empty());
  ASSERT_EQ(p.refused.size(), 1u);
  EXPECT_EQ(p.refused[0].second.code, common::ErrorCode::kConflict);
  EXPECT_TRUE(p.refused[0].second.transient);
}

TEST(Rfc2136Planner, SecondCnameTargetIsRefusedAndTheFirstStays) {
  auto z = zone({rr("web.svc.test", RecordType::kCNAME, "h1.svc.test")});
  model::ChangeSet c;
  c.create = {rec("web.svc.test", RecordType::kCNAME, {"h2.svc.test"}, "g"),
              rec("cname._ecssd.web.svc.test", RecordType::kTXT, {kOther}, "g")};
  auto p = plan(z, c);
  EXPECT_TRUE(p.messages.empty());
  ASSERT_EQ(p.refused.size(), 1u);
  const auto& e = p.refused[0].second;
  EXPECT_EQ(e.code, common::ErrorCode::kConflict);
  EXPECT_FALSE(e.transient);
  EXPECT_NE(e.message.find("already points at h1.svc.test"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("--record-mode srv"), std::string::npos);
  EXPECT_NE(e.message.find("the first stays"), std::string::npos);
}

TEST(Rfc2136Planner, SameCnameTargetFromAnotherContainerIsShared) {
  // Two containers of one service on one host: one CNAME, two companions.
  auto z = zone({rr("web.svc.test", RecordType::kCNAME, "h1.svc.test"), rr("cname._ecssd.web.svc.test", RecordType::kTXT, kCompanion)});
  model::ChangeSet c;
  c.create = {rec("web.svc.test", RecordType::kCNAME, {"h1.svc.test"}, "g"),
              rec("cname._ecssd.web.svc.test", RecordType::kTXT, {kOther}, "g")};
  auto p = plan(z, c);
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_EQ(p.messages[0].request.updates,
            (std::vector<UpdateOp>{{UK::kAdd, "cname._ecssd.web.svc.test", RecordType::kTXT, 10, kOther}}));
}

TEST(Rfc2136Planner, NothingLandsBesideACname) {
  // A person put a CNAME where a companion would go (ExternalDNS #262's collision).
  auto z = zone({rr("a._ecssd.web.svc.test", RecordType::kCNAME, "elsewhere.svc.test"),
                 rr("db.svc.test", RecordType::kA, "10.0.0.3")});
  model::ChangeSet c;
  c.create = {rec("a._ecssd.web.svc.test", RecordType::kTXT, {kCompanion}, "g"),
              rec("db.svc.test", RecordType::kCNAME, {"h1.svc.test"}, "h")};
  auto p = plan(z, c);
  EXPECT_TRUE(p.messages.empty());
  ASSERT_EQ(p.refused.size(), 2u);
  EXPECT_NE(p.refused[0].second.message.find("holds a CNAME"), std::string::npos);
  EXPECT_NE(p.refused[1].second.message.find("already holds A records"), std::string::npos);
}

TEST(Rfc2136Planner, CnamesInOneBatchFirstWins) {
  auto z = zone({});
  model::ChangeSet c;
  c.create = {rec("web.svc.test", RecordType::kCNAME, {"h1.svc.test"}, "a"),
              rec("web.svc.test", RecordType::kCNAME, {"c2.svc.test"}, "b")};
  auto p = plan(z, c);
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_EQ(p.messages[0].groups, std::vector<size_t>{0});
  ASSERT_EQ(p.refused.size(), 1u);
  EXPECT_EQ(p.refused[0].first, 1u);
}

TEST(Rfc2136Planner, OnePrerequisitePerRrsetTakenAtTheMessageStart) {
  auto z = zone({rr("_web._tcp.svc.test", RecordType::kSRV, "1 1 80 h1.svc.test")});
  model::ChangeSet c;
  c.create = {rec("_web._tcp.svc.test", RecordType::kSRV, {"1 1 81 h1.svc.test"}, "a")};
  c.remove = {rec("_web._tcp.svc.test", RecordType::kSRV, {"1 1 80 h1.svc.test"}, "b")};
  auto p = plan(z, c);
  ASSERT_EQ(p.messages.size(), 1u);
  const auto& pre = p.messages[0].request.prerequisites;
  ASSERT_EQ(pre.size(), 2u);
  EXPECT_EQ(pre[1], (Prerequisite{PK::kRrsetEquals, "_web._tcp.svc.test", RecordType::kSRV, {"1 1 80 h1.svc.test"}}));
}

TEST(Rfc2136Planner, LargeBatchesAreCutAt64KiBNeverInsideAGroup) {
  auto z = zone({});
  model::ChangeSet c;
  for (int i = 0; i < 600; ++i) {
    std::string g = "g" + std::to_string(i);
    std::string name = "_svc-" + std::to_string(i) + "._tcp.svc.test";
    c.create.push_back(rec(name, RecordType::kSRV, {"1 1 " + std::to_string(20000 + i) + " h1.svc.test"}, g));
    c.create.push_back(rec("srv._ecssd." + name, RecordType::kTXT, {kCompanion}, g));
  }
  auto groups = group_changes(c);
  auto p = plan_updates(z, groups, all(groups), 65535 - 100);
  ASSERT_GE(p.messages.size(), 2u);
  EXPECT_LE(p.messages.size(), 4u);
  size_t total = 0;
  for (const auto& m : p.messages) {
    auto wire = dns::build_update(kZone, m.request, 1, 100);
    ASSERT_TRUE(wire.ok()) << wire.error().describe();
    EXPECT_LE(wire->size(), 65535u - 100);
    EXPECT_EQ(m.request.updates.size(), 2 * m.groups.size());  // both halves of every group
    total += m.groups.size();
  }
  EXPECT_EQ(total, 600u);
}

TEST(Rfc2136Planner, AloneGroupsGetTheirOwnMessage) {
  auto z = zone({});
  model::ChangeSet c;
  c.create = {rec("a.svc.test", RecordType::kA, {"10.0.0.1"}), rec("b.svc.test", RecordType::kA, {"10.0.0.2"}),
              rec("c.svc.test", RecordType::kA, {"10.0.0.3"})};
  auto groups = group_changes(c);
  std::set<size_t> alone{1};
  auto p = plan_updates(z, groups, all(groups), 65000, &alone);
  ASSERT_EQ(p.messages.size(), 3u);
  EXPECT_EQ(p.messages[1].groups, std::vector<size_t>{1});
}

TEST(Rfc2136Planner, BadValueIsRefusedAlone) {
  auto z = zone({});
  model::ChangeSet c;
  c.create = {rec("a.svc.test", RecordType::kA, {"10.0.0.300"}), rec("b.svc.test", RecordType::kA, {"10.0.0.2"})};
  auto p = plan(z, c);
  ASSERT_EQ(p.refused.size(), 1u);
  EXPECT_EQ(p.refused[0].second.code, common::ErrorCode::kInvalidArgument);
  ASSERT_EQ(p.messages.size(), 1u);
}

TEST(Rfc2136Planner, VisibleChecksAddsAndRemoves) {
  auto z = zone({rr("a.svc.test", RecordType::kA, "10.0.0.1")});
  Group g;
  g.changes.create = {rec("a.svc.test", RecordType::kA, {"10.0.0.1"})};
  EXPECT_TRUE(visible(z, effect_of(g)));
  g.changes.remove = {rec("a.svc.test", RecordType::kA, {"10.0.0.1"})};
  EXPECT_FALSE(visible(z, effect_of(g)));
  Group ttl;
  ttl.changes.update = {{rec("a.svc.test", RecordType::kA, {"10.0.0.1"}), rec("a.svc.test", RecordType::kA, {"10.0.0.1"}, "", 99)}};
  EXPECT_FALSE(visible(z, effect_of(ttl)));
}

}  // namespace
}  // namespace ecssd::provider::rfc2136
