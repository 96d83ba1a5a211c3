#pragma once
// The Route 53 provider under test: wired to a simulated hosted zone
// (route53_fake_zone.h) or to recorded responses, on simulated time, plus the
// records the provider tests write. Shared by route53_list_test.cc and
// route53_provider_test.cc.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "fakes/fake_transport.h"
#include "provider/route53/route53_provider.h"
#include "registry/registry.h"
#include "unit/provider/route53_fake_zone.h"
#include "unit/provider/route53_test_util.h"

namespace ecssd::provider::route53_test {

using ecssd::testing::fixture;
using model::RecordType;

inline aws::ServiceEndpoint endpoint() { return {"route53", "us-east-1", "https://route53.amazonaws.com"}; }

inline model::Record rec(std::string name, RecordType type, std::string value, std::string set_id = "", uint32_t ttl = 10) {
  model::Record r;
  r.name = std::move(name);
  r.type = type;
  r.ttl = ttl;
  r.values = {std::move(value)};
  r.set_identifier = std::move(set_id);
  if (!r.set_identifier.empty()) r.weight = 1;
  return r;
}

inline std::string set_id(int container) { return fmt::format("ecssd:host-a:{:012d}:80-tcp", container); }

// A container's CNAME and its companion TXT, as the registry expands them
// (grouped together).
inline std::vector<model::Record> cname_with_companion(const std::string& name, int container) {
  model::Record r = rec(name, RecordType::kCNAME, "host-a.example.com", set_id(container));
  r.labels = {{"owner", "host-a"}, {"container", std::to_string(container)}};
  return registry::expand(model::ChangeSet{.create = {r}}).create;
}

// The provider wired to a simulated zone Z1 "example.com", on simulated time.
struct Harness {
  ecssd::testing::Route53TestEnv env;  // first: the provider's timers must not outlive it
  fakes::FakeTransport transport;
  ecssd::testing::ClockedTransport clocked{transport, env.time};
  fakes::FakeRoute53 zone{"Z1", "example.com"};
  Route53Options options;
  std::unique_ptr<Route53Provider> provider;

  Harness() {
    options.zone_id = "Z1";
    options.retry.seed = 7;
    transport.set_handler([this](const aws::HttpRequest& req) { return zone.handle(req); });
  }
  Route53Provider& start() {
    provider = std::make_unique<Route53Provider>(clocked, endpoint(), options, env.time, env.scope());
    auto s = run(provider->init());
    EXPECT_TRUE(s.ok()) << s.error().describe();
    return *provider;
  }
  template <typename T>
  T run(boost::asio::awaitable<T> task) {
    return env.run(std::move(task));
  }
  ApplyReport apply(model::ChangeSet cs) {
    auto r = run(provider->apply(std::move(cs)));
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return r.ok() ? std::move(*r) : ApplyReport{};
  }
  // The waits between the requests sent from the `first`-th on.
  std::vector<std::chrono::milliseconds> waits_from(size_t first) const {
    return clocked.waits(first, clocked.sent() - 1);
  }
};

inline constexpr const char* kMotoZoneId = "STSP3XM4ZMZJJFM30G43MW";  // in the recorded moto_*.xml

// A provider on the recorded moto zone, initialised; `pages` (fixture names)
// answer its next requests in order.
inline std::unique_ptr<Route53Provider> on_recorded_zone(ecssd::testing::Route53TestEnv& env, fakes::FakeTransport& t,
                                                  const std::vector<std::string>& pages, uint32_t page_size = 300) {
  t.push(200, fixture("route53/moto_get_hosted_zone.xml"));
  for (const auto& page : pages) t.push(200, fixture("route53/" + page));
  Route53Options o;
  o.zone_id = kMotoZoneId;
  o.page_size = page_size;
  auto p = std::make_unique<Route53Provider>(t, endpoint(), o, env.time, env.scope());
  auto st = env.run(p->init());
  EXPECT_TRUE(st.ok()) << st.error().describe();
  return p;
}

}  // namespace ecssd::provider::route53_test
