// The embedded provider end to end: changes applied through it (and through
// the registry) are served by its responder on a loopback port, checked with
// libknot-parsed replies, and listed back by AXFR through AxfrProvider.
#include "common/time_system.h"
#include "provider/embedded/embedded_provider.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <gtest/gtest.h>

#include "provider/axfr/axfr_provider.h"
#include "provider/zone_split_provider.h"
#include "registry/registry.h"
#include "unit/dns/dns_test_util.h"
#include "unit/dns/socket_client.h"

namespace ecssd::provider {
namespace {

namespace asio = boost::asio;
using common::ErrorCode;
using dns::testing::make_query;
using dns::testing::parse_response;
using dns::testing::udp_exchange;
using model::Record;
using model::RecordType;

template <typename T>
asio::awaitable<void> store(asio::awaitable<T> task, std::optional<T>* out) {
  out->emplace(co_await std::move(task));
}

// Runs one provider coroutine to completion on `io`.
template <typename T>
T run(asio::io_context& io, asio::awaitable<T> task) {
  std::optional<T> out;
  asio::co_spawn(io, store(std::move(task), &out), asio::detached);
  io.restart();
  io.run();
  return std::move(out).value();
}

Record rec(std::string name, RecordType type, std::vector<std::string> values, std::string set = "",
           model::Labels labels = {}) {
  Record r;
  r.name = std::move(name);
  r.type = type;
  r.ttl = 10;
  r.values = std::move(values);
  r.set_identifier = std::move(set);
  r.weight = 1;
  r.labels = std::move(labels);
  return r;
}

EmbeddedOptions options() {
  EmbeddedOptions o;
  o.zone.zone = "svc.test";
  o.responder.listen = "127.0.0.1:0";
  o.responder.threads = 1;
  return o;
}

class EmbeddedProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    provider_ = std::make_unique<EmbeddedProvider>(io_, options(), time_, common::Scope(metrics_));
    auto s = provider_->start();
    ASSERT_TRUE(s.ok()) << s.error().describe();
  }
  dns::testing::Response ask(std::string name, uint16_t type) {
    auto reply = udp_exchange(provider_->responder().port(), make_query(std::move(name), type));
    EXPECT_TRUE(reply);
    return reply ? parse_response(*reply) : dns::testing::Response{};
  }
  ApplyReport apply(model::ChangeSet cs) {
    auto r = run(io_, provider_->apply(std::move(cs)));
    EXPECT_TRUE(r.ok());
    return r.ok() ? r.value() : ApplyReport{};
  }

  asio::io_context io_;
  common::SimulatedTimeSystem time_;
  common::Metrics metrics_;
  std::unique_ptr<EmbeddedProvider> provider_;
};

TEST_F(EmbeddedProviderTest, ServesTheEmptyZoneAndListsItsApex) {
  EXPECT_EQ(provider_->zone(), "svc.test");
  EXPECT_TRUE(provider_->capabilities().set_identifiers);
  EXPECT_TRUE(provider_->capabilities().writable);
  auto soa = ask("svc.test", KNOT_RRTYPE_SOA);
  EXPECT_EQ(soa.rcode, KNOT_RCODE_NOERROR);
  ASSERT_EQ(soa.answer.size(), 1u);
  auto listed = run(io_, provider_->list());
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].type, RecordType::kSOA);
  EXPECT_EQ((*listed)[0].values[0], "ns.svc.test hostmaster.svc.test 1700000000 3600 600 86400 5");
  EXPECT_EQ((*listed)[1].type, RecordType::kNS);
  EXPECT_EQ(ask("web.svc.test", KNOT_RRTYPE_A).rcode, KNOT_RCODE_NXDOMAIN);
}

TEST_F(EmbeddedProviderTest, AppliedChangesAreServedAtOnce) {
  auto report = apply({.create = {rec("web.svc.test", RecordType::kCNAME, {"Host1.SVC.test."}, "a"),
                                  rec("web.svc.test", RecordType::kCNAME, {"host2.svc.test"}, "b"),
                                  rec("host1.svc.test", RecordType::kA, {"10.0.0.1"}, "h1"),
                                  rec("host2.svc.test", RecordType::kA, {"10.0.0.2"}, "h2")}});
  EXPECT_EQ(report.applied.create.size(), 4u);
  EXPECT_TRUE(report.failed.empty());
  EXPECT_EQ(report.requests, 1u);

  std::set<std::string> targets;
  for (int i = 0; i < 4; ++i) {
    auto r = ask("web.svc.test", KNOT_RRTYPE_A);
    ASSERT_EQ(r.answer.size(), 2u);
    targets.insert(r.answer[0].data);
  }
  EXPECT_EQ(targets, (std::set<std::string>{"host1.svc.test.", "host2.svc.test."}));

  // Listed back canonical, with the set identifiers.
  auto listed = run(io_, provider_->list());
  ASSERT_TRUE(listed.ok());
  auto it = std::find_if(listed->begin(), listed->end(), [](const Record& r) { return r.set_identifier == "a"; });
  ASSERT_NE(it, listed->end());
  EXPECT_EQ(it->values, std::vector<std::string>{"host1.svc.test"});

  apply({.remove = {*it}});
  for (int i = 0; i < 3; ++i) {
    auto r = ask("web.svc.test", KNOT_RRTYPE_A);
    ASSERT_EQ(r.answer.size(), 2u);
    EXPECT_EQ(r.answer[0].data, "host2.svc.test.");
  }
  EXPECT_GT(provider_->snapshot()->serial(), 1700000000u);
}

TEST_F(EmbeddedProviderTest, RefusesWhatTheZoneCannotHoldAndAppliesTheRest) {
  auto report = apply({.create = {rec("ok.svc.test", RecordType::kA, {"10.0.0.1"}),
                                  rec("web.other.test", RecordType::kA, {"10.0.0.1"}),
                                  rec("bad.svc.test", RecordType::kA, {"10.0.0.999"}),
                                  rec("svc.test", RecordType::kNS, {"ns.example.org"}),
                                  rec("ok.svc.test", RecordType::kCNAME, {"x.svc.test"}, "c")}});
  EXPECT_EQ(report.applied.create.size(), 1u);
  ASSERT_EQ(report.failed.size(), 4u);
  for (const auto& f : report.failed) {
    EXPECT_EQ(f.error.code, ErrorCode::kInvalidArgument) << f.error.message;
    EXPECT_FALSE(f.error.transient);
  }
  EXPECT_NE(report.failed.back().error.message.find("CNAME"), std::string::npos);
  EXPECT_EQ(ask("ok.svc.test", KNOT_RRTYPE_A).answer.size(), 1u);

  // An update may turn the A into a CNAME at the same name (the old one goes).
  auto listed = run(io_, provider_->list());
  auto a = *std::find_if(listed->begin(), listed->end(), [](const Record& r) { return r.name == "ok.svc.test"; });
  Record c = rec("ok.svc.test", RecordType::kCNAME, {"x.svc.test"});
  auto upd = apply({.update = {{a, c}}});
  EXPECT_EQ(upd.applied.update.size(), 1u) << (upd.failed.empty() ? "" : upd.failed[0].error.message);
  EXPECT_EQ(ask("ok.svc.test", KNOT_RRTYPE_CNAME).answer.size(), 1u);

  // Deleting what is not there is a conflict, as in every provider.
  auto gone = apply({.remove = {rec("nothere.svc.test", RecordType::kA, {"10.0.0.1"})}});
  ASSERT_EQ(gone.failed.size(), 1u);
  EXPECT_EQ(gone.failed[0].error.code, ErrorCode::kConflict);
}

TEST_F(EmbeddedProviderTest, SerialsGrowWithTimeAndWithChanges) {
  uint32_t first = provider_->snapshot()->serial();
  apply({.create = {rec("a.svc.test", RecordType::kA, {"10.0.0.1"})}});
  uint32_t second = provider_->snapshot()->serial();
  EXPECT_EQ(second, first + 1);  // same second: still increases
  time_.advance(std::chrono::hours(1));
  apply({.create = {rec("b.svc.test", RecordType::kA, {"10.0.0.1"})}});
  EXPECT_EQ(provider_->snapshot()->serial(), 1700000000u + 3600u);
  // A change that fails entirely publishes nothing new.
  apply({.create = {rec("b.svc.test", RecordType::kA, {"10.0.0.1"})}});
  EXPECT_EQ(provider_->snapshot()->serial(), 1700000000u + 3600u);
}

TEST_F(EmbeddedProviderTest, CanonicalizeMatchesWhatIsListed) {
  Record r = provider_->canonicalize(rec("A.svc.test.", RecordType::kAAAA, {"FD00::0001"}, "s"));
  EXPECT_EQ(r.name, "a.svc.test");
  EXPECT_EQ(r.values, std::vector<std::string>{"fd00::1"});
  EXPECT_EQ(r.set_identifier, "s");
  apply({.create = {r}});
  auto listed = run(io_, provider_->list());
  EXPECT_NE(std::find(listed->begin(), listed->end(), r), listed->end());
}

TEST(EmbeddedProviderZonesTest, SeveralZonesOnOneResponderEachWithItsSoaAndNs) {
  asio::io_context io;
  common::SimulatedTimeSystem time;
  common::Metrics metrics;
  auto o = options();
  o.zone.zone = "example";
  auto outer = std::make_unique<EmbeddedProvider>(io, o, time, common::Scope(metrics));
  ASSERT_TRUE(outer->start().ok());
  EmbeddedProvider* first = outer.get();
  auto inner = std::make_unique<EmbeddedProvider>(*first, dns::ZoneOptions{.zone = "b.example"}, common::Scope(metrics));
  ASSERT_TRUE(inner->start().ok());
  const uint16_t port = first->responder().port();
  std::vector<std::unique_ptr<Provider>> zones;
  zones.push_back(std::move(outer));
  zones.push_back(std::move(inner));
  ZoneSplitProvider split(std::move(zones));

  auto done = run(io, split.apply({.create = {rec("a.b.example", RecordType::kA, {"10.0.0.1"}, "x"),
                                               rec("web.example", RecordType::kA, {"10.0.0.2"}, "y")}}));
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->failed.empty());
  auto ask = [&](std::string name, uint16_t type) {
    auto reply = udp_exchange(port, make_query(std::move(name), type));
    EXPECT_TRUE(reply);
    return reply ? parse_response(*reply) : dns::testing::Response{};
  };
  auto a = ask("a.b.example", KNOT_RRTYPE_A);
  EXPECT_EQ(a.rcode, KNOT_RCODE_NOERROR);
  ASSERT_EQ(a.answer.size(), 1u);
  EXPECT_EQ(a.answer[0].data, "10.0.0.1");
  EXPECT_EQ(ask("web.example", KNOT_RRTYPE_A).answer.size(), 1u);
  EXPECT_EQ(ask("example", KNOT_RRTYPE_SOA).answer.size(), 1u);
  auto soa = ask("b.example", KNOT_RRTYPE_SOA);  // the inner zone's own apex
  ASSERT_EQ(soa.answer.size(), 1u);
  EXPECT_NE(soa.answer[0].data.find("ns.b.example."), std::string::npos) << soa.answer[0].data;
  EXPECT_EQ(ask("b.example", KNOT_RRTYPE_NS).answer.size(), 1u);
  EXPECT_EQ(ask("web.b.example", KNOT_RRTYPE_A).rcode, KNOT_RCODE_NXDOMAIN);
  EXPECT_EQ(ask("web.elsewhere", KNOT_RRTYPE_A).rcode, KNOT_RCODE_REFUSED);
  // Listed together: both apexes and both records.
  auto listed = run(io, split.list());
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 6u);
}

TEST(EmbeddedProviderStartTest, ClearErrors) {
  common::SimulatedTimeSystem time;
  common::Metrics metrics;
  const common::Scope scope(metrics);
  asio::io_context io;
  EmbeddedProvider first(io, options(), time, scope);
  ASSERT_TRUE(first.start().ok());
  EmbeddedOptions taken = options();
  taken.responder.listen = first.responder().endpoint();
  EmbeddedProvider second(io, taken, time, scope);
  auto s = second.start();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(s.error().message.find(first.responder().endpoint()), std::string::npos);
  auto not_started = run(io, second.apply({.create = {rec("a.svc.test", RecordType::kA, {"10.0.0.1"})}}));
  EXPECT_FALSE(not_started.ok());

  EmbeddedOptions bad = options();
  bad.zone.zone = "bad..zone";
  EXPECT_EQ(EmbeddedProvider(io, bad, time, scope).start().error().code, ErrorCode::kInvalidArgument);
}

// The agent writes through the registry (native set identifiers); `ecssd
// records` reads through AXFR (no set identifiers): both see the same owned records.
TEST_F(EmbeddedProviderTest, RegistryOwnershipSurvivesAZoneTransfer) {
  registry::Registry agent(*provider_, "host-a");
  ASSERT_TRUE(run(io_, agent.records()).ok());
  model::Labels la{{"owner", "host-a"}, {"container", "c1"}, {"service", "web"}};
  model::Labels lb{{"owner", "host-a"}, {"container", "c2"}, {"service", "web"}};
  auto report = run(io_, agent.apply({.create = {rec("web.svc.test", RecordType::kCNAME, {"host-a.svc.test"},
                                                     "ecssd:host-a:c1:80-tcp", la),
                                                 rec("web.svc.test", RecordType::kCNAME, {"host-a.svc.test"},
                                                     "ecssd:host-a:c2:80-tcp", lb),
                                                 rec("host-a.svc.test", RecordType::kA, {"10.0.0.1"},
                                                     "ecssd:host-a:host", {{"owner", "host-a"}, {"kind", "host"}})}}));
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->applied.create.size(), 3u);
  EXPECT_TRUE(report->failed.empty()) << report->failed[0].error.message;

  // Two containers, one target: served once.
  auto r = ask("web.svc.test", KNOT_RRTYPE_CNAME);
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(r.answer[0].data, "host-a.svc.test.");
  EXPECT_EQ(ask("cname._ecssd.web.svc.test", KNOT_RRTYPE_TXT).answer.size(), 2u);

  auto owned_via = [&](Provider& p) {
    registry::Registry reader(p, "");
    auto records = run(io_, reader.records());
    EXPECT_TRUE(records.ok()) << (records.ok() ? "" : records.error().describe());
    std::set<std::tuple<std::string, std::string, std::string, std::string>> out;
    for (const auto& rr : records.value()) {
      if (rr.owner().empty()) continue;
      EXPECT_TRUE(rr.label_or("x-orphan").empty()) << model::describe(rr);
      out.insert({rr.name, std::string(model::to_string(rr.type)), rr.set_identifier, rr.label_or("container")});
    }
    return out;
  };
  AxfrProviderOptions ao;
  ao.zone = "svc.test";
  ao.server = provider_->responder().endpoint();
  AxfrProvider axfr(ao);
  auto direct = owned_via(*provider_);
  auto transferred = owned_via(axfr);
  EXPECT_EQ(direct.size(), 3u);
  EXPECT_EQ(direct, transferred);
}

TEST(AxfrProviderTest, IsReadOnlyAndReportsUnreachableServers) {
  asio::io_context io;
  AxfrProviderOptions o;
  o.zone = "Svc.Test.";
  o.server = "127.0.0.1:1";  // nothing listens on port 1 here
  AxfrProvider p(o);
  EXPECT_EQ(p.zone(), "svc.test");
  EXPECT_FALSE(p.capabilities().set_identifiers);
  EXPECT_FALSE(p.capabilities().writable);
  auto applied = run(io, p.apply({}));
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().code, ErrorCode::kPermissionDenied);
  auto listed = run(io, p.list());
  ASSERT_FALSE(listed.ok());
  EXPECT_TRUE(listed.error().transient);
  EXPECT_EQ(p.canonicalize(rec("X.svc.test", RecordType::kSRV, {"1 2 3 T.svc.test."})).values,
            std::vector<std::string>{"1 2 3 t.svc.test"});
}

}  // namespace
}  // namespace ecssd::provider
