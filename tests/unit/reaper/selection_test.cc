// The first stage of a pass: what is judged (owned records and their kinds),
// the check each record declares, its age against --grace, and the targets.
#include "reaper/selection.h"

#include <gtest/gtest.h>

#include "reaper_fixture.h"
#include "registry/registry.h"

namespace ecssd::reaper {
namespace {

using namespace std::chrono_literals;
using model::Record;
using testing::foreign;
using testing::host;
using testing::kNow;
using testing::service;

const common::SystemTime kAt{std::chrono::seconds(kNow)};

// The records as the registry lists them: owned ones with their labels.
std::vector<Record> listing(const std::vector<Record>& owned, const std::vector<Record>& raw_extra = {}) {
  std::vector<Record> raw = registry::expand(model::ChangeSet{.create = owned}).create;
  raw.insert(raw.end(), raw_extra.begin(), raw_extra.end());
  return registry::join(raw, true);
}

Selection select(std::vector<Record> listed) { return select_owned(std::move(listed), 2s, 60s, kAt); }

const Entry& named(const Selection& s, const std::string& name) {
  for (const auto& e : s.entries) {
    if (e->record.name == name + ".sd.internal") return *e;
  }
  ADD_FAILURE() << "no entry " << name;
  static Entry none;
  return none;
}

TEST(SelectOwnedTest, ForeignRecordsAreOnlyCounted) {
  auto s = select(listing({service("h1", "web", "10.0.0.1:80", 1)},
                          {foreign("www", model::RecordType::kA, "10.9.9.9"),
                           foreign("legacy", model::RecordType::kCNAME, "elsewhere.example")}));
  EXPECT_EQ(s.foreign, 2u);
  ASSERT_EQ(s.entries.size(), 1u);
  EXPECT_EQ(s.entries[0]->record.name, "web.sd.internal");
  EXPECT_EQ(s.entries[0]->rep.owner, "h1");
}

TEST(SelectOwnedTest, KindsComeFromTheLabelsAndTheOrphanState) {
  Record orphan = service("h1", "o", "10.0.0.3:80", 3);
  orphan.labels.clear();  // its companion is missing: owned by its set identifier only
  Record gone = service("h1", "gone", "10.0.0.4:80", 4);
  auto s = select(listing({service("h1", "web", "10.0.0.1:80", 1), host("h1", "10.0.0.1")},
                          {orphan, registry::companion_of(gone)}));
  ASSERT_EQ(s.entries.size(), 4u);
  EXPECT_EQ(named(s, "web").kind, EntryKind::kService);
  EXPECT_EQ(named(s, "h1").kind, EntryKind::kHost);
  EXPECT_EQ(named(s, "o").kind, EntryKind::kOrphan);
  // A companion whose record is gone is judged by the labels it carries.
  EXPECT_EQ(named(s, "gone").kind, EntryKind::kService);
  EXPECT_TRUE(named(s, "gone").spec.has_value());
  // Only service records have a check.
  EXPECT_FALSE(named(s, "h1").spec.has_value());
  EXPECT_FALSE(named(s, "o").spec.has_value());
  EXPECT_EQ(to_string(EntryKind::kOrphan), "orphan");
}

TEST(SelectOwnedTest, ServiceRecordsCarryTheCheckTheyDeclare) {
  auto s = select(listing({service("h1", "web", "10.0.0.1:80", 1, {{"check", "http"}, {"check-http", "/health"}}),
                           service("h1", "tcp", "10.0.0.2:80", 2, {{"check-timeout", "5s"}}),
                           service("h1", "odd", "not-an-address", 3)}));
  const Entry& web = named(s, "web");
  ASSERT_TRUE(web.spec);
  EXPECT_EQ(web.spec->kind, CheckKind::kHttp);
  EXPECT_EQ(web.spec->http_path, "/health");
  EXPECT_EQ(web.spec->timeout, 2s);  // the default
  EXPECT_EQ(named(s, "tcp").spec->timeout, 5s);
  EXPECT_FALSE(named(s, "odd").spec);
  EXPECT_NE(named(s, "odd").spec_error.find("label addr"), std::string::npos) << named(s, "odd").spec_error;
}

TEST(SelectOwnedTest, TheStartedLabelAgainstTheGrace) {
  auto s = select(listing({service("h1", "new", "10.0.0.1:80", 1, {{"started", std::to_string(kNow - 30)}}),
                           service("h1", "old", "10.0.0.2:80", 2, {{"started", std::to_string(kNow - 61)}}),
                           service("h1", "soon", "10.0.0.3:80", 3, {{"started", "soon"}}),
                           service("h1", "future", "10.0.0.4:80", 4, {{"started", std::to_string(kNow + 5)}})}));
  EXPECT_TRUE(named(s, "new").young);
  EXPECT_EQ(named(s, "new").age, "30s");
  EXPECT_FALSE(named(s, "old").young);
  EXPECT_EQ(named(s, "old").age, "61s");
  // An unreadable start time protects nothing.
  EXPECT_FALSE(named(s, "soon").young);
  EXPECT_EQ(named(s, "soon").age, "");
  EXPECT_TRUE(named(s, "future").young);
  EXPECT_EQ(named(s, "future").age, "0s");
}

TEST(CheckTargetsTest, OneTargetPerDistinctCheck) {
  Record a = service("h1", "web", "10.0.0.1:80", 1, {{"check", "http"}, {"check-http", "/health"}});
  a.type = model::RecordType::kA;
  a.values = {"10.0.0.1"};
  Record aaaa = a;
  aaaa.type = model::RecordType::kAAAA;
  aaaa.values = {"fd00::1"};
  Record other_path = service("h1", "web2", "10.0.0.1:80", 2, {{"check", "http"}, {"check-http", "/other"}});
  auto s = select(listing({a, aaaa, other_path, service("h1", "api", "10.0.0.2:80", 3)}));
  auto targets = check_targets(s.entries);
  ASSERT_EQ(targets.size(), 3u);
  const Entry* by_type[2] = {nullptr, nullptr};
  for (const auto& e : s.entries) {
    if (e->record.name != "web.sd.internal") continue;
    by_type[e->record.type == model::RecordType::kA ? 0 : 1] = e.get();
  }
  ASSERT_TRUE(by_type[0] && by_type[1]);
  EXPECT_EQ(by_type[0]->target, by_type[1]->target);
  EXPECT_EQ(targets[static_cast<size_t>(by_type[0]->target)].http_path, "/health");
  EXPECT_NE(named(s, "web2").target, by_type[0]->target);
  EXPECT_EQ(targets[static_cast<size_t>(named(s, "api").target)].target(), "10.0.0.2:80");
}

TEST(CheckTargetsTest, WhatNeedsNoProbeGetsNoTarget) {
  auto s = select(listing({service("h1", "young", "10.0.0.1:80", 1, {{"started", std::to_string(kNow - 5)}}),
                           service("h1", "udp", "10.0.0.2:53", 2, {{"check", "none"}}),
                           service("h1", "odd", "nonsense", 3), service("h1", "ecs", "10.0.0.4:80", 4),
                           service("h1", "ec2", "10.0.0.5:80", 5), service("h1", "ok", "10.0.0.6:80", 6),
                           host("h1", "10.0.0.1")}));
  for (auto& e : s.entries) {
    if (e->record.name == "ecs.sd.internal") e->cloud.ecs = Verdict::kDead;
    if (e->record.name == "ec2.sd.internal") e->cloud.ec2 = Verdict::kDead;
  }
  auto targets = check_targets(s.entries);
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].target(), "10.0.0.6:80");
  for (const char* name : {"young", "udp", "odd", "ecs", "ec2", "h1"}) EXPECT_EQ(named(s, name).target, -1) << name;
  EXPECT_EQ(named(s, "ok").target, 0);
}

}  // namespace
}  // namespace ecssd::reaper
