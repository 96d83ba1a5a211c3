// The agent's path end to end on a simulated hosted zone: record builder ->
// registry::Registry (over CachedProvider over Route53Provider) -> plan ->
// apply. Records ecssd does not own (another tool's weighted records, another
// host's, plain records at the same name, alias and failover records, types
// the model lacks) must come out of every operation byte for byte unchanged.
#include <algorithm>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "fakes/fake_transport.h"
#include "model/record_builder.h"
#include "plan/plan.h"
#include "provider/cached_provider.h"
#include "provider/route53/route53_provider.h"
#include "registry/registry.h"
#include "unit/provider/route53_fake_zone.h"
#include "unit/provider/route53_test_util.h"

namespace ecssd::provider {
namespace {

using fakes::FakeRrset;

model::Service service(int n, std::string name, uint16_t port) {
  model::Service s;
  s.container_id = fmt::format("{:012x}{:052x}", 0xc0ffee000 + n, 0xabcdef);  // distinct 12-char prefixes
  s.container_name = fmt::format("app-{}", n);
  s.name = std::move(name);
  s.container_port = 80;
  s.host_port = port;
  s.started_unix = 1'700'000'000 + n;
  return s;
}

// Record sets that are not this host's, as other tools and hosts left them.
std::vector<FakeRrset> foreign_records() {
  const std::string other = "ecssd:host-b:0123456789ab:80-tcp";
  return {
      // Another tool's weighted members at ecssd's names.
      {.name = "web.example.com.", .type = "CNAME", .set_identifier = "manual-blue", .weight = 5, .ttl = 60,
       .values = {"blue.example.org"}},
      {.name = "_web._tcp.example.com.", .type = "SRV", .set_identifier = "manual", .weight = 3, .ttl = 60,
       .values = {"10 5 8080 legacy.example.org."}},
      {.name = "api.example.com.", .type = "A", .set_identifier = "manual-a", .weight = 2, .ttl = 60,
       .values = {"192.0.2.50"}},
      // Another ecssd host's record with its ownership companion.
      {.name = "web.example.com.", .type = "CNAME", .set_identifier = other, .weight = 1, .ttl = 10,
       .values = {"host-b.example.com"}},
      {.name = "cname._ecssd.web.example.com.", .type = "TXT", .set_identifier = other, .weight = 1, .ttl = 10,
       .values = {"\"heritage=ecssd\" \"set=" + other + "\" \"value=host-b.example.com\" \"owner=host-b\""}},
      // Plain (not weighted) records at the same names, and a type the model lacks.
      {.name = "_web._tcp.example.com.", .type = "TXT", .ttl = 300, .values = {"\"owner=platform-team\""}},
      {.name = "api.example.com.", .type = "TXT", .ttl = 300, .values = {"\"v=spf1 -all\""}},
      {.name = "api.example.com.", .type = "MX", .ttl = 300, .values = {"10 mx.example.com."}},
      // Routing ecssd never touches.
      {.name = "www.example.com.", .type = "A",
       .extra_xml = "<AliasTarget><HostedZoneId>Z2FDTNDATAQYW2</HostedZoneId><DNSName>d1.cloudfront.net.</DNSName>"
                    "<EvaluateTargetHealth>false</EvaluateTargetHealth></AliasTarget>"},
      {.name = "db.example.com.", .type = "A", .set_identifier = "primary", .ttl = 60, .values = {"192.0.2.10"},
       .health_check_id = "hc-db", .extra_xml = "<Failover>PRIMARY</Failover>"},
  };
}

class Route53WithRegistry : public ::testing::TestWithParam<model::RecordMode> {
 protected:
  void SetUp() override {
    for (const auto& r : foreign_records()) zone_.add(r);
    foreign_before_ = zone_.rrsets();
    transport_.set_handler([this](const aws::HttpRequest& req) { return zone_.handle(req); });
    Route53Options o;
    o.zone = "example.com";
    o.zone_id = "Z1";
    o.retry.seed = 3;
    auto r53 = std::make_unique<Route53Provider>(transport_, aws::ServiceEndpoint{"route53", "us-east-1", "http://x"},
                                                 o, env_.time, env_.scope());
    ASSERT_TRUE(run(r53->init()).ok());
    route53_ = r53.get();
    cached_ = std::make_unique<CachedProvider>(std::move(r53));
    registry_ = std::make_unique<registry::Registry>(*cached_, "host-a");
    config_.zone = "example.com";
    config_.mode = GetParam();
    config_.host = {.owner_id = "host-a", .host_name = "host-a.example.com", .host_ip = "10.0.0.1"};
  }

  // One plan run, as the agent does it; returns the report.
  ApplyReport cycle(const std::vector<model::Service>& services) {
    model::BuildResult built = model::build_records(services, config_);
    EXPECT_TRUE(built.rejected.empty());
    std::vector<model::Record> desired;
    for (auto& r : built.records) desired.push_back(cached_->canonicalize(std::move(r)));
    auto current = run(registry_->records());
    EXPECT_TRUE(current.ok()) << current.error().describe();
    plan::Output out = plan::compute({.current = *current, .desired = desired, .owner = "host-a"});
    EXPECT_TRUE(out.conflicts.empty()) << out.conflicts.size() << " conflicts, first: " << out.conflicts[0].reason;
    auto report = run(registry_->apply(out.changes));
    EXPECT_TRUE(report.ok()) << report.error().describe();
    EXPECT_TRUE(report->failed.empty()) << report->failed[0].error.describe();

    // Nothing left to do: the state written lists back as desired, from the
    // cache and from a fresh listing alike.
    auto again = run(registry_->records());
    EXPECT_TRUE(plan::compute({.current = *again, .desired = desired, .owner = "host-a"}).changes.empty());
    cached_->invalidate();
    auto fresh = run(registry_->records());
    EXPECT_TRUE(plan::compute({.current = *fresh, .desired = desired, .owner = "host-a"}).changes.empty());
    return report.ok() ? std::move(*report) : ApplyReport{};
  }

  std::vector<FakeRrset> ours() const {
    std::vector<FakeRrset> out;
    for (const auto& r : zone_.rrsets()) {
      if (r.set_identifier.starts_with("ecssd:host-a:")) out.push_back(r);
    }
    return out;
  }
  void expect_foreign_untouched() const {
    std::vector<FakeRrset> others;
    for (const auto& r : zone_.rrsets()) {
      if (!r.set_identifier.starts_with("ecssd:host-a:")) others.push_back(r);
    }
    EXPECT_EQ(others, foreign_before_);
  }

  template <typename T>
  T run(boost::asio::awaitable<T> task) {
    return env_.run(std::move(task));
  }

  ecssd::testing::Route53TestEnv env_;  // first: the provider's timers must not outlive it
  fakes::FakeTransport transport_;
  fakes::FakeRoute53 zone_{"Z1", "example.com"};
  Route53Provider* route53_ = nullptr;
  std::unique_ptr<CachedProvider> cached_;
  std::unique_ptr<registry::Registry> registry_;
  model::RecordConfig config_;
  std::vector<FakeRrset> foreign_before_;
};

TEST_P(Route53WithRegistry, ForeignRecordsSurviveStartUpdateStopAndCleanup) {
  // Mode A publishes at api.example.com (a name with foreign records); the
  // others at web / _web._tcp.
  const std::string name = GetParam() == model::RecordMode::kA ? "api" : "web";
  std::vector<model::Service> two = {service(1, name, 18081), service(2, name, 18082)};

  ApplyReport started = cycle(two);
  EXPECT_FALSE(started.applied.create.empty());
  EXPECT_EQ(started.requests, 1u) << "a burst is one request";
  // A record and a companion per container; cname and srv modes add the
  // host's own A record (its name is in the zone) and its companion.
  EXPECT_EQ(ours().size(), GetParam() == model::RecordMode::kA ? 4u : 6u);
  for (const auto& r : ours()) {
    EXPECT_EQ(r.weight, 1u) << r.name;
    EXPECT_EQ(r.ttl, 10u) << r.name;
  }
  expect_foreign_untouched();

  config_.ttl = 30;  // every record changes
  ApplyReport updated = cycle(two);
  EXPECT_EQ(updated.applied.update.size(), started.applied.create.size());
  EXPECT_EQ(updated.requests, 1u);
  for (const auto& r : ours()) EXPECT_EQ(r.ttl, 30u) << r.name;
  expect_foreign_untouched();

  ApplyReport one_stopped = cycle({two[0]});
  EXPECT_FALSE(one_stopped.applied.remove.empty());
  expect_foreign_untouched();

  ApplyReport all_stopped = cycle({});
  EXPECT_FALSE(all_stopped.applied.remove.empty());
  EXPECT_TRUE(ours().empty());
  expect_foreign_untouched();
  EXPECT_EQ(zone_.rrsets(), foreign_before_) << "the zone is exactly as it was";
}

TEST_P(Route53WithRegistry, RegistryRefusesToTouchForeignRecordsEvenWhenAsked) {
  auto current = run(registry_->records());
  ASSERT_TRUE(current.ok());
  model::ChangeSet evil;
  for (const auto& r : *current) evil.remove.push_back(r);
  ASSERT_FALSE(evil.remove.empty());
  auto report = run(registry_->apply(evil));
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->applied.empty());
  EXPECT_EQ(report->failed.size(), evil.remove.size());
  EXPECT_EQ(zone_.change_requests(), 0u);
  EXPECT_EQ(zone_.rrsets(), foreign_before_);

  // Below the registry, the provider itself refuses the alias and failover
  // record sets, whoever asks.
  model::ChangeSet raw;
  for (const auto& r : *current) {
    if (r.name == "www.example.com" || r.name == "db.example.com") raw.remove.push_back(r);
  }
  ASSERT_EQ(raw.remove.size(), 2u);
  auto refused = run(route53_->apply(raw));
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->failed.size(), 2u);
  EXPECT_EQ(zone_.change_requests(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Modes, Route53WithRegistry,
                         ::testing::Values(model::RecordMode::kCname, model::RecordMode::kSrv, model::RecordMode::kA),
                         [](const ::testing::TestParamInfo<model::RecordMode>& p) { return std::string(model::to_string(p.param)); });

}  // namespace
}  // namespace ecssd::provider
