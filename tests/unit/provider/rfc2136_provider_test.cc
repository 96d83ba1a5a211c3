// The RFC 2136 provider on the in-memory server (tests/fakes/rfc2136) and
// simulated time: cached reads, one UPDATE per batch, failed prerequisites,
// read-back, refusals, retries; and the registry and the caching decorator
// on top of it, as the agent and the reaper use it.
#include "provider/rfc2136/rfc2136_provider.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "fakes/rfc2136/fake_dns_server.h"
#include "provider/cached_provider.h"
#include "registry/registry.h"

namespace ecssd::provider::rfc2136 {
namespace {

namespace asio = boost::asio;
using model::Record;
using model::RecordType;
using testing::FakeDnsServer;

constexpr const char* kZone = "svc.test";

Record rec(std::string name, RecordType type, std::vector<std::string> values, std::string group = "") {
  Record r;
  r.name = std::move(name);
  r.type = type;
  r.ttl = 10;
  r.values = std::move(values);
  r.group = std::move(group);
  return r;
}

// An owned record as the agent builds it (labels: the registry writes the companion).
Record owned(std::string name, RecordType type, std::string value, std::string owner, std::string container) {
  Record r = rec(std::move(name), type, {std::move(value)});
  r.set_identifier = "ecssd:" + owner + ":" + container + ":80-tcp";
  r.labels = {{"owner", owner}, {"kind", "service"}, {"container", container}};
  return r;
}

class Rfc2136ProviderTest : public ::testing::Test {
 protected:
  Rfc2136ProviderTest() { make(); }

  void make() {
    auto server = std::make_unique<FakeDnsServer>(kZone);
    server_ = server.get();
    ProviderOptions o;
    o.zone = kZone;
    o.update_server = "127.0.0.1:53";
    o.transfer_server = "127.0.0.1:53";
    o.update_key = o.transfer_key = "ecssd-key (hmac-sha256)";
    provider_ = std::make_unique<Rfc2136Provider>(std::move(server), o, time_, common::Scope(metrics_));
  }

  template <typename T>
  T run(asio::awaitable<T> task, std::chrono::seconds limit = std::chrono::seconds(120)) {
    std::optional<T> out;
    asio::co_spawn(io_, std::move(task), [&](std::exception_ptr e, T v) {
      if (e) std::rethrow_exception(e);
      out.emplace(std::move(v));
    });
    EXPECT_TRUE(time_.run_until(io_, [&] { return out.has_value(); }, limit));
    return std::move(*out);
  }

  common::Result<ApplyReport> apply(model::ChangeSet c) { return run(provider_->apply(std::move(c))); }

  uint64_t counter(const std::string& text) {
    auto rendered = "\n" + metrics_.render();
    auto at = rendered.find("\n" + text + " ");
    return at == std::string::npos ? 0 : std::stoull(rendered.substr(at + text.size() + 2));
  }

  common::SimulatedTimeSystem time_;
  asio::io_context io_;
  common::Metrics metrics_;
  FakeDnsServer* server_ = nullptr;
  std::unique_ptr<Rfc2136Provider> provider_;
};

TEST_F(Rfc2136ProviderTest, ListsRrsetsAndReadsOnlyWhatChanged) {
  server_->add("web.svc.test", RecordType::kA, "10.0.0.1");
  server_->add("web.svc.test", RecordType::kA, "10.0.0.2");
  auto first = run(provider_->list());
  ASSERT_TRUE(first.ok());
  auto web = std::find_if(first->begin(), first->end(), [](const Record& r) { return r.name == "web.svc.test"; });
  ASSERT_NE(web, first->end());
  EXPECT_EQ(web->values, (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
  EXPECT_TRUE(web->set_identifier.empty());
  EXPECT_EQ(server_->full_reads, 1u);
  ASSERT_TRUE(run(provider_->list()).ok());
  EXPECT_EQ(server_->uptodate_reads, 1u);
  server_->add("db.svc.test", RecordType::kA, "10.0.0.3");
  auto third = run(provider_->list());
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(server_->incremental_reads, 1u);
  EXPECT_EQ(server_->full_reads, 1u);
  EXPECT_EQ(third->size(), first->size() + 1);
  EXPECT_EQ(counter("ecssd_rfc2136_zone_reads_total{kind=\"incremental\"}"), 1u);
}

TEST_F(Rfc2136ProviderTest, ABurstIsOneUpdateAndReadBack) {
  ASSERT_TRUE(run(provider_->list()).ok());
  model::ChangeSet c;
  for (int i = 0; i < 200; ++i) {
    std::string g = "g" + std::to_string(i), name = "_s" + std::to_string(i) + "._tcp.svc.test";
    c.create.push_back(rec(name, RecordType::kSRV, {"1 1 " + std::to_string(20000 + i) + " h1.svc.test"}, g));
    c.create.push_back(rec("srv._ecssd." + name, RecordType::kTXT, {"\"heritage=ecssd\" \"owner=h1\""}, g));
  }
  auto r = apply(c);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->requests, 1u);
  EXPECT_EQ(server_->updates.size(), 1u);
  EXPECT_TRUE(r->failed.empty());
  EXPECT_EQ(server_->dump().size(), 400u);
  // The report lists the RRsets as list() now shows them: 400 new ones, and the SOA.
  EXPECT_EQ(r->applied.create.size(), 400u);
  ASSERT_EQ(r->applied.update.size(), 1u);
  EXPECT_EQ(r->applied.update[0].new_record.type, RecordType::kSOA);
  EXPECT_EQ(server_->incremental_reads, 1u);  // the read-back
  EXPECT_EQ(counter("ecssd_rfc2136_updates_total{rcode=\"NOERROR\"}"), 1u);
}

TEST_F(Rfc2136ProviderTest, FailedPrerequisiteRereadsAndNeverClobbers) {
  server_->add("_web._tcp.svc.test", RecordType::kSRV, "1 1 80 h1.svc.test");
  ASSERT_TRUE(run(provider_->list()).ok());
  // Someone adds a value to the RRset between our read and our update.
  server_->before_next_update([](FakeDnsServer& s) { s.add("_web._tcp.svc.test", RecordType::kSRV, "1 1 80 h2.svc.test"); });
  model::ChangeSet c;
  c.remove = {rec("_web._tcp.svc.test", RecordType::kSRV, {"1 1 80 h1.svc.test"}, "g")};
  auto r = apply(c);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  // The first message failed (NXRRSET); the second round re-planned on the
  // re-read zone and deleted only our value.
  EXPECT_EQ(server_->updates.size(), 2u);
  EXPECT_TRUE(r->failed.empty());
  EXPECT_EQ(server_->values("_web._tcp.svc.test", RecordType::kSRV), std::vector<std::string>{"1 1 80 h2.svc.test"});
  EXPECT_EQ(counter("ecssd_rfc2136_updates_total{rcode=\"NXRRSET\"}"), 1u);
}

TEST_F(Rfc2136ProviderTest, CompanionRemovedByAnotherWriterStopsTheDeletion) {
  server_->add("_web._tcp.svc.test", RecordType::kSRV, "1 1 80 h1.svc.test");
  server_->add("srv._ecssd._web._tcp.svc.test", RecordType::kTXT, "\"heritage=ecssd\" \"owner=h1\"");
  ASSERT_TRUE(run(provider_->list()).ok());
  server_->before_next_update(
      [](FakeDnsServer& s) { s.remove("srv._ecssd._web._tcp.svc.test", RecordType::kTXT, "\"heritage=ecssd\" \"owner=h1\""); });
  model::ChangeSet c;
  c.remove = {rec("_web._tcp.svc.test", RecordType::kSRV, {"1 1 80 h1.svc.test"}, "g"),
              rec("srv._ecssd._web._tcp.svc.test", RecordType::kTXT, {"\"heritage=ecssd\" \"owner=h1\""}, "g")};
  auto r = apply(c);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->failed.size(), 2u);
  EXPECT_EQ(r->failed[0].error.code, common::ErrorCode::kConflict);
  // The record stays: its mark was not there any more in the same transaction.
  EXPECT_EQ(server_->values("_web._tcp.svc.test", RecordType::kSRV), std::vector<std::string>{"1 1 80 h1.svc.test"});
}

TEST_F(Rfc2136ProviderTest, SilentlyDroppedUpdateIsCaughtByTheReadBack) {
  ASSERT_TRUE(run(provider_->list()).ok());
  server_->drop_names({"web.svc.test"});
  model::ChangeSet c;
  c.create = {rec("web.svc.test", RecordType::kA, {"10.0.0.1"}, "g"), rec("db.svc.test", RecordType::kA, {"10.0.0.2"}, "h")};
  auto r = apply(c);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->failed.size(), 1u);
  EXPECT_EQ(r->failed[0].change.create[0].name, "web.svc.test");
  EXPECT_NE(r->failed[0].error.message.find("answered NOERROR"), std::string::npos) << r->failed[0].error.message;
  EXPECT_NE(r->failed[0].error.message.find("does not show the change"), std::string::npos);
  EXPECT_EQ(counter("ecssd_rfc2136_readback_mismatches_total"), 1u);
  EXPECT_EQ(server_->dump(), std::vector<std::string>{"db.svc.test A 10.0.0.2"});
}

TEST_F(Rfc2136ProviderTest, RefusedNameIsIsolatedAndTheRestGoesThrough) {
  ASSERT_TRUE(run(provider_->list()).ok());
  server_->refuse_names({"secret.svc.test"});
  model::ChangeSet c;
  c.create = {rec("a.svc.test", RecordType::kA, {"10.0.0.1"}), rec("secret.svc.test", RecordType::kA, {"10.0.0.2"}),
              rec("b.svc.test", RecordType::kA, {"10.0.0.3"})};
  auto r = apply(c);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->failed.size(), 1u);
  EXPECT_EQ(r->failed[0].change.create[0].name, "secret.svc.test");
  EXPECT_NE(r->failed[0].error.message.find("REFUSED"), std::string::npos);
  EXPECT_NE(r->failed[0].error.message.find("update-policy"), std::string::npos);
  EXPECT_EQ(server_->dump(), (std::vector<std::string>{"a.svc.test A 10.0.0.1", "b.svc.test A 10.0.0.3"}));
  EXPECT_EQ(r->requests, 4u);  // the shared message, then one each
}

TEST_F(Rfc2136ProviderTest, KeyProblemsAreOneWholeRequestLine) {
  ASSERT_TRUE(run(provider_->list()).ok());
  model::ChangeSet c;
  c.create = {rec("a.svc.test", RecordType::kA, {"10.0.0.1"})};
  struct Case {
    uint16_t rcode, tsig;
    const char* says;
  } cases[] = {{dns::kRcodeNotAuth, dns::kTsigBadSig, "BADSIG"},
               {dns::kRcodeNotAuth, dns::kTsigBadKey, "BADKEY"},
               {dns::kRcodeNotAuth, dns::kTsigBadTime, "BADTIME"},
               {dns::kRcodeNotAuth, 0, "NOTAUTH"},
               {dns::kRcodeNotZone, 0, "check --zone"},
               {dns::kRcodeNotImp, 0, "dnsupdate=yes"}};
  for (const auto& k : cases) {
    server_->answer_next(k.rcode, k.tsig);
    auto r = apply(c);
    ASSERT_FALSE(r.ok()) << k.says;
    EXPECT_NE(r.error().message.find(k.says), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("svc.test"), std::string::npos);
  }
  EXPECT_TRUE(server_->dump().empty());
}

TEST_F(Rfc2136ProviderTest, ServerDownIsRetriedWithBackoffThenTransient) {
  ASSERT_TRUE(run(provider_->list()).ok());
  server_->fail_updates(common::transient_error(common::ErrorCode::kUnavailable, "connect: Connection refused"), 3);
  model::ChangeSet c;
  c.create = {rec("a.svc.test", RecordType::kA, {"10.0.0.1"})};
  auto start = time_.steady_now();
  auto r = apply(c);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().transient);
  EXPECT_EQ(server_->updates.size(), 3u);
  EXPECT_GT(time_.steady_now(), start);  // it waited between attempts, in simulated time
  // Back: the next batch goes through.
  auto again = apply(c);
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(server_->dump(), std::vector<std::string>{"a.svc.test A 10.0.0.1"});
}

TEST_F(Rfc2136ProviderTest, ServfailOnceIsRetried) {
  ASSERT_TRUE(run(provider_->list()).ok());
  server_->answer_next(dns::kRcodeServFail);
  model::ChangeSet c;
  c.create = {rec("a.svc.test", RecordType::kA, {"10.0.0.1"})};
  auto r = apply(c);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_TRUE(r->failed.empty());
  EXPECT_EQ(server_->updates.size(), 2u);
}

TEST_F(Rfc2136ProviderTest, LostAnswerOfAnAppliedUpdateEndsApplied) {
  server_->add("web.svc.test", RecordType::kA, "10.0.0.1");
  ASSERT_TRUE(run(provider_->list()).ok());
  server_->lose_next_answer();
  model::ChangeSet c;
  c.update = {{rec("web.svc.test", RecordType::kA, {"10.0.0.1"}), rec("web.svc.test", RecordType::kA, {"10.0.0.2"})}};
  auto r = apply(c);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_TRUE(r->failed.empty());  // the retry's prerequisite failed, the read-back shows it done
  EXPECT_EQ(server_->values("web.svc.test", RecordType::kA), std::vector<std::string>{"10.0.0.2"});
}

TEST_F(Rfc2136ProviderTest, TransferRefusalSaysWhatToFix) {
  dns::Refresh refused;
  server_->fail_refreshes(common::make_error(common::ErrorCode::kPermissionDenied, "TSIG key x: the answer is not signed"));
  auto r = run(provider_->list());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not signed"), std::string::npos);
  server_->fail_refreshes(common::transient_error(common::ErrorCode::kTimeout, "no answer"), 3);
  auto t = run(provider_->list());
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(t.error().transient);
  EXPECT_TRUE(run(provider_->list()).ok());
}

TEST_F(Rfc2136ProviderTest, CanonicalFormDropsWeightsKeepsSetIds) {
  Record r = rec("Web.Svc.Test.", RecordType::kSRV, {"1 1 80 H1.svc.test."});
  r.weight = 1;
  r.set_identifier = "ecssd:h1:abc:80-tcp";
  Record c = provider_->canonicalize(r);
  EXPECT_EQ(c.name, "web.svc.test");
  EXPECT_EQ(c.values, std::vector<std::string>{"1 1 80 h1.svc.test"});
  EXPECT_FALSE(c.weight);
  EXPECT_EQ(c.set_identifier, "ecssd:h1:abc:80-tcp");
  EXPECT_FALSE(provider_->capabilities().set_identifiers);
}

// Several providers on one server: the agents' and the reaper's stacks
// (registry over the caching decorator over the provider).
class Forward final : public Transport {
 public:
  explicit Forward(Transport& t) : t_(t) {}
  common::Task<common::Result<dns::Refresh>> refresh(dns::ZoneCopy& c) override { co_return co_await t_.refresh(c); }
  common::Task<common::Result<dns::UpdateAnswer>> update(const dns::UpdateRequest& r) override {
    co_return co_await t_.update(r);
  }
  size_t max_update_size() const override { return t_.max_update_size(); }

 private:
  Transport& t_;
};

std::vector<std::string> described(const common::Result<std::vector<Record>>& listed) {
  EXPECT_TRUE(listed.ok());
  std::vector<std::string> out;
  for (const auto& r : *listed) {
    std::string line = model::describe(r) + " ttl=" + std::to_string(r.ttl);
    for (const auto& v : r.values) line += " " + v;
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

class SharedZoneTest : public Rfc2136ProviderTest {
 protected:
  std::unique_ptr<CachedProvider> agent_provider() {
    return std::make_unique<CachedProvider>(std::make_unique<Rfc2136Provider>(
        std::make_unique<Forward>(zone_), ProviderOptions{.zone = kZone}, time_, common::Scope(metrics_)));
  }
  FakeDnsServer zone_{kZone};
};

TEST_F(SharedZoneTest, TwoAgentsShareAnRrsetAndEachRemovesOnlyItsOwn) {
  auto p1 = agent_provider(), p2 = agent_provider();
  registry::Registry agent1(*p1, "h1"), agent2(*p2, "h2");
  ASSERT_TRUE(run(agent1.records()).ok());
  ASSERT_TRUE(run(agent2.records()).ok());
  auto r1 = run(agent1.apply({.create = {owned("_web._tcp.svc.test", RecordType::kSRV, "1 1 80 h1.svc.test", "h1", "aaa")}}));
  auto r2 = run(agent2.apply({.create = {owned("_web._tcp.svc.test", RecordType::kSRV, "1 1 80 h2.svc.test", "h2", "bbb")}}));
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_TRUE(r1->failed.empty());
  EXPECT_TRUE(r2->failed.empty());
  EXPECT_EQ(zone_.values("_web._tcp.svc.test", RecordType::kSRV),
            (std::vector<std::string>{"1 1 80 h1.svc.test", "1 1 80 h2.svc.test"}));

  // Agent 1's cached view does not know agent 2's value: its guard fails,
  // it re-reads and deletes exactly its own value and companion.
  auto listed = run(agent1.records());
  ASSERT_TRUE(listed.ok());
  auto mine = std::find_if(listed->begin(), listed->end(), [](const Record& x) { return x.owner() == "h1"; });
  ASSERT_NE(mine, listed->end());
  auto gone = run(agent1.apply({.remove = {*mine}}));
  ASSERT_TRUE(gone.ok()) << gone.error().describe();
  EXPECT_TRUE(gone->failed.empty());
  EXPECT_EQ(zone_.values("_web._tcp.svc.test", RecordType::kSRV), std::vector<std::string>{"1 1 80 h2.svc.test"});
  auto companions = zone_.values("srv._ecssd._web._tcp.svc.test", RecordType::kTXT);
  ASSERT_EQ(companions.size(), 1u);
  EXPECT_NE(companions[0].find("owner=h2"), std::string::npos);

  // The cached listing still equals a fresh read (in any order).
  EXPECT_EQ(described(run(p1->list())), described(run(p1->inner().list())));

  // The reaper (any owner) deletes what agent 2 left.
  auto p3 = agent_provider();
  registry::Registry reaper(*p3, "");
  auto all = run(reaper.records());
  ASSERT_TRUE(all.ok());
  model::ChangeSet dead;
  for (const auto& r : *all) {
    if (r.owner() == "h2") dead.remove.push_back(r);
  }
  ASSERT_EQ(dead.remove.size(), 1u);
  auto reaped = run(reaper.apply(dead));
  ASSERT_TRUE(reaped.ok());
  EXPECT_TRUE(reaped->failed.empty());
  EXPECT_TRUE(zone_.dump().empty());
}

TEST_F(SharedZoneTest, SecondCnameInstanceFailsAndTheFirstStays) {
  auto p1 = agent_provider(), p2 = agent_provider();
  registry::Registry agent1(*p1, "h1"), agent2(*p2, "h2");
  ASSERT_TRUE(run(agent1.records()).ok());
  ASSERT_TRUE(run(agent1.apply({.create = {owned("web.svc.test", RecordType::kCNAME, "h1.svc.test", "h1", "aaa")}})).ok());
  ASSERT_TRUE(run(agent2.records()).ok());
  auto r = run(agent2.apply({.create = {owned("web.svc.test", RecordType::kCNAME, "h2.svc.test", "h2", "bbb")}}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->failed.size(), 1u);
  EXPECT_NE(r->failed[0].error.message.find("--record-mode srv"), std::string::npos) << r->failed[0].error.message;
  EXPECT_EQ(zone_.values("web.svc.test", RecordType::kCNAME), std::vector<std::string>{"h1.svc.test"});
  // The registry groups a record with its companion, so the whole group is
  // refused: agent 2 leaves no orphan companion behind.
  EXPECT_EQ(zone_.values("cname._ecssd.web.svc.test", RecordType::kTXT).size(), 1u);
}

TEST_F(SharedZoneTest, ARecordAPersonAddedIsLeftAlone) {
  zone_.add("_web._tcp.svc.test", RecordType::kSRV, "0 0 80 manual.svc.test");
  auto p1 = agent_provider();
  registry::Registry agent1(*p1, "h1");
  ASSERT_TRUE(run(agent1.records()).ok());
  ASSERT_TRUE(run(agent1.apply({.create = {owned("_web._tcp.svc.test", RecordType::kSRV, "1 1 80 h1.svc.test", "h1", "aaa")}})).ok());
  auto listed = run(agent1.records());
  ASSERT_TRUE(listed.ok());
  model::ChangeSet mine;
  for (const auto& r : *listed) {
    if (r.owner() == "h1") mine.remove.push_back(r);
  }
  ASSERT_TRUE(run(agent1.apply(mine)).ok());
  EXPECT_EQ(zone_.dump(), std::vector<std::string>{"_web._tcp.svc.test SRV 0 0 80 manual.svc.test"});
  // And the foreign value is refused by the registry itself.
  auto again = run(agent1.records());
  ASSERT_TRUE(again.ok());
  auto foreign = std::find_if(again->begin(), again->end(), [](const Record& x) { return x.type == RecordType::kSRV; });
  ASSERT_NE(foreign, again->end());
  auto refused = run(agent1.apply({.remove = {*foreign}}));
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->failed.size(), 1u);
  EXPECT_EQ(zone_.dump().size(), 1u);
}

}  // namespace
}  // namespace ecssd::provider::rfc2136
