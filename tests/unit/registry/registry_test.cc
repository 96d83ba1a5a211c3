#include "registry/registry.h"

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
  EXPECT_EQ(j1[0].label_or(kOrphanLabel), "record");
  // Companion without its record.
  auto j2 = join({companion_of(mine)}, true);
  ASSERT_EQ(j2.size(), 1u);
  EXPECT_EQ(j2[0].name, "web.z");
  EXPECT_EQ(j2[0].values, mine.values);
  EXPECT_EQ(j2[0].label_or(kOrphanLabel), "companion");
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
