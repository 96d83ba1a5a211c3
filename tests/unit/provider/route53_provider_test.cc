// Route53Provider against recorded responses (tests/fixtures/route53) and a
// simulated hosted zone (route53_fake_zone.h) behind a fake transport.
#include "provider/route53/route53_provider.h"

#include <cmath>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/metrics.h"
#include "fakes/fake_transport.h"
#include "model/names.h"
#include "model/rdata.h"
#include "registry/registry.h"
#include "unit/provider/route53_fake_zone.h"
#include "unit/provider/route53_test_util.h"

namespace ecssd::provider {
namespace {

using common::ErrorCode;
using ecssd::testing::fixture;
using ecssd::testing::run;
using model::RecordType;

aws::ServiceEndpoint endpoint() { return {"route53", "us-east-1", "https://route53.amazonaws.com"}; }

model::Record rec(std::string name, RecordType type, std::string value, std::string set_id = "", uint32_t ttl = 10) {
  model::Record r;
  r.name = std::move(name);
  r.type = type;
  r.ttl = ttl;
  r.values = {std::move(value)};
  r.set_identifier = std::move(set_id);
  if (!r.set_identifier.empty()) r.weight = 1;
  return r;
}

std::string set_id(int container) { return fmt::format("ecssd:host-a:{:012d}:80-tcp", container); }

// A container's CNAME and its companion TXT, as the registry expands them.
std::vector<model::Record> cname_with_companion(const std::string& name, int container) {
  model::Record r = rec(name, RecordType::kCNAME, "host-a.example.com", set_id(container));
  r.labels = {{"owner", "host-a"}, {"container", std::to_string(container)}};
  model::Record c = registry::companion_of(r);
  r.labels.clear();
  return {r, c};
}

// The provider wired to a simulated zone Z1 "example.com".
struct Harness {
  fakes::FakeTransport transport;
  fakes::FakeRoute53 zone{"Z1", "example.com"};
  ecssd::testing::RecordingSleeper sleeper;
  Route53Options options;
  std::unique_ptr<Route53Provider> provider;

  Harness() {
    options.zone_id = "Z1";
    options.retry.seed = 7;
    transport.set_handler([this](const aws::HttpRequest& req) { return zone.handle(req); });
  }
  Route53Provider& start() {
    provider = std::make_unique<Route53Provider>(transport, endpoint(), options, &sleeper);
    auto s = run(provider->init());
    EXPECT_TRUE(s.ok()) << s.error().describe();
    return *provider;
  }
  ApplyReport apply(model::ChangeSet cs) {
    auto r = run(provider->apply(std::move(cs)));
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return r.ok() ? std::move(*r) : ApplyReport{};
  }
  size_t requests_to(std::string_view method) const {
    size_t n = 0;
    for (const auto& r : transport.requests()) n += r.method == method;
    return n;
  }
};

std::unique_ptr<Route53Provider> by_name(fakes::FakeTransport& t, ZoneType type,
                                         ecssd::testing::RecordingSleeper* sleeper) {
  Route53Options o;
  o.zone = "Example.COM.";
  o.zone_type = type;
  o.retry.seed = 1;
  return std::make_unique<Route53Provider>(t, endpoint(), o, sleeper);
}

constexpr const char* kMotoZoneId = "STSP3XM4ZMZJJFM30G43MW";  // in the recorded moto_*.xml

// A provider on the recorded moto zone, initialised; `pages` (fixture names)
// answer its next requests in order.
std::unique_ptr<Route53Provider> on_recorded_zone(fakes::FakeTransport& t, const std::vector<std::string>& pages,
                                                  uint32_t page_size = 300) {
  t.push(200, fixture("route53/moto_get_hosted_zone.xml"));
  for (const auto& page : pages) t.push(200, fixture("route53/" + page));
  Route53Options o;
  o.zone_id = kMotoZoneId;
  o.page_size = page_size;
  auto p = std::make_unique<Route53Provider>(t, endpoint(), o, nullptr);
  auto st = run(p->init());
  EXPECT_TRUE(st.ok()) << st.error().describe();
  return p;
}

// --- zone selection -------------------------------------------------------

TEST(Route53Zone, AnyPrefersThePrivateZoneOfTheSameName) {
  fakes::FakeTransport t;
  ecssd::testing::RecordingSleeper s;
  t.push(200, fixture("route53/moto_list_hosted_zones_by_name.xml"));
  auto p = by_name(t, ZoneType::kAny, &s);
  auto st = run(p->init());
  ASSERT_TRUE(st.ok()) << st.error().describe();
  EXPECT_EQ(p->zone_id(), kMotoZoneId);
  EXPECT_EQ(p->zone(), "example.com");
  ASSERT_EQ(t.requests().size(), 1u);
  EXPECT_EQ(t.requests()[0].method, "GET");
  EXPECT_EQ(t.requests()[0].url, "https://route53.amazonaws.com/2013-04-01/hostedzonesbyname?dnsname=example.com&maxitems=100");
  EXPECT_EQ(t.endpoints()[0].signing_name, "route53");
}

TEST(Route53Zone, PublicAndPrivateWhenAsked) {
  for (auto [type, id] : {std::pair{ZoneType::kPublic, "SHCMAEM4H80DP3WZ1CWC5S"},
                          std::pair{ZoneType::kPrivate, kMotoZoneId}}) {
    fakes::FakeTransport t;
    t.push(200, fixture("route53/moto_list_hosted_zones_by_name.xml"));
    auto p = by_name(t, type, nullptr);
    ASSERT_TRUE(run(p->init()).ok());
    EXPECT_EQ(p->zone_id(), id);
  }
}

TEST(Route53Zone, AnyFallsBackToThePublicZone) {
  fakes::FakeTransport t;
  t.push(200, fixture("route53/doc_list_hosted_zones_public_only.xml"));
  auto p = by_name(t, ZoneType::kAny, nullptr);
  ASSERT_TRUE(run(p->init()).ok());
  EXPECT_EQ(p->zone_id(), "Z1PUBLIC00000000001");
}

TEST(Route53Zone, MissingPrivateZoneNamesThePublicOne) {
  fakes::FakeTransport t;
  t.push(200, fixture("route53/doc_list_hosted_zones_public_only.xml"));
  auto p = by_name(t, ZoneType::kPrivate, nullptr);
  auto st = run(p->init());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kNotFound);
  EXPECT_NE(st.error().message.find("no private hosted zone named example.com"), std::string::npos);
  EXPECT_NE(st.error().message.find("Z1PUBLIC00000000001"), std::string::npos);
  EXPECT_NE(st.error().message.find("--zone-type public"), std::string::npos);
  EXPECT_TRUE(p->zone_id().empty());
}

TEST(Route53Zone, NoZoneAtAllIsNotFound) {
  fakes::FakeTransport t;
  t.push(200,
         "<ListHostedZonesByNameResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><HostedZones/>"
         "<DNSName>example.com.</DNSName><IsTruncated>false</IsTruncated><MaxItems>100</MaxItems>"
         "</ListHostedZonesByNameResponse>");
  auto st = run(by_name(t, ZoneType::kAny, nullptr)->init());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kNotFound);
  EXPECT_NE(st.error().message.find("no hosted zone named example.com"), std::string::npos);
}

TEST(Route53Zone, PaginatesWhileTheNameContinuesAndRefusesAmbiguity) {
  fakes::FakeTransport t;
  t.push(200, fixture("route53/doc_list_hosted_zones_page1.xml"));
  t.push(200, fixture("route53/doc_list_hosted_zones_page2.xml"));
  auto st = run(by_name(t, ZoneType::kAny, nullptr)->init());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(st.error().message.find("Z2PRIVATE0000000002, Z3PRIVATE0000000003"), std::string::npos);
  EXPECT_NE(st.error().message.find("--zone-id"), std::string::npos);
  ASSERT_EQ(t.requests().size(), 2u) << "page 2 ends with another name: no third request";
  EXPECT_EQ(t.requests()[1].url,
            "https://route53.amazonaws.com/2013-04-01/hostedzonesbyname?dnsname=example.com&hostedzoneid="
            "Z2PRIVATE0000000002&maxitems=100");

  fakes::FakeTransport t2;
  t2.push(200, fixture("route53/doc_list_hosted_zones_page1.xml"));
  t2.push(200, fixture("route53/doc_list_hosted_zones_page2.xml"));
  auto p = by_name(t2, ZoneType::kPublic, nullptr);
  ASSERT_TRUE(run(p->init()).ok());
  EXPECT_EQ(p->zone_id(), "Z1PUBLIC00000000001");
}

TEST(Route53Zone, ByIdReadsTheNameAndChecksTheOptions) {
  Harness h;
  h.options.zone_id = "/hostedzone/Z1";
  Route53Provider& p = h.start();
  EXPECT_EQ(p.zone(), "example.com");
  EXPECT_EQ(p.zone_id(), "Z1");
  EXPECT_EQ(h.transport.requests()[0].url, "https://route53.amazonaws.com/2013-04-01/hostedzone/Z1");

  Harness other;
  other.options.zone = "other.com";
  other.provider = std::make_unique<Route53Provider>(other.transport, endpoint(), other.options, &other.sleeper);
  auto st = run(other.provider->init());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(st.error().message.find("is the zone example.com, not --zone other.com"), std::string::npos);

  Harness pub;
  pub.options.zone_type = ZoneType::kPublic;
  pub.provider = std::make_unique<Route53Provider>(pub.transport, endpoint(), pub.options, &pub.sleeper);
  auto typed = run(pub.provider->init());
  ASSERT_FALSE(typed.ok());
  EXPECT_NE(typed.error().message.find("is a private zone"), std::string::npos);
}

TEST(Route53Zone, UnknownOrMalformedZoneId) {
  fakes::FakeTransport t;
  t.push(404, fixture("route53/doc_error_no_such_hosted_zone.xml"));
  Route53Options o;
  o.zone_id = "Z0123456789ABCDEFGHIJ";
  Route53Provider p(t, endpoint(), o, nullptr);
  auto st = run(p.init());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kNotFound);
  EXPECT_NE(st.error().message.find("Z0123456789ABCDEFGHIJ"), std::string::npos);

  fakes::FakeTransport none;
  o.zone_id = "Z1/../../x";
  Route53Provider bad(none, endpoint(), o, nullptr);
  auto st2 = run(bad.init());
  ASSERT_FALSE(st2.ok());
  EXPECT_EQ(st2.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(none.requests().empty());

  Route53Provider nothing(none, endpoint(), Route53Options{}, nullptr);
  EXPECT_EQ(run(nothing.init()).error().code, ErrorCode::kInvalidArgument);

  fakes::FakeTransport denied;
  denied.push(403, fixture("route53/doc_error_access_denied.xml"));
  o.zone_id = "Z0123456789ABCDEFGHIJ";
  Route53Provider p2(denied, endpoint(), o, nullptr);
  auto st3 = run(p2.init());
  ASSERT_FALSE(st3.ok());
  EXPECT_EQ(st3.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(st3.error().message.find("route53:GetHostedZone on hosted zone Z0123456789ABCDEFGHIJ;"), std::string::npos)
      << st3.error().message;
}

TEST(Route53Zone, AccessDeniedNamesThePermissionAndTheZone) {
  fakes::FakeTransport t;
  t.push(403, fixture("route53/doc_error_access_denied.xml"));
  auto st = run(by_name(t, ZoneType::kAny, nullptr)->init());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kPermissionDenied);
  EXPECT_FALSE(st.error().transient);
  EXPECT_NE(st.error().message.find("route53:ListHostedZonesByName"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("example.com"), std::string::npos);
  EXPECT_EQ(t.requests().size(), 1u) << "not retried";
}

TEST(Route53Zone, MissingCredentialsFromTheTransportKeepTheirAdvice) {
  fakes::FakeTransport t;
  t.push(common::make_error(ErrorCode::kPermissionDenied,
                            "no AWS credentials: tried the environment, ~/.aws/credentials, ECS, IMDS"));
  auto st = run(by_name(t, ZoneType::kAny, nullptr)->init());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(st.error().message.find("ListHostedZonesByName"), std::string::npos);
  EXPECT_NE(st.error().message.find("tried the environment"), std::string::npos);
}

// --- listing ---------------------------------------------------------------

TEST(Route53List, ThreePagesWithNextRecordIdentifier) {
  fakes::FakeTransport t;
  auto p = on_recorded_zone(t, {"doc_list_rrsets_page1.xml", "doc_list_rrsets_page2.xml", "doc_list_rrsets_page3.xml"}, 3);
  auto listed = run(p->list());
  ASSERT_TRUE(listed.ok()) << listed.error().describe();
  ASSERT_EQ(t.requests().size(), 4u);
  const std::string base = std::string("https://route53.amazonaws.com/2013-04-01/hostedzone/") + kMotoZoneId + "/rrset";
  EXPECT_EQ(t.requests()[1].url, base + "?maxitems=3");
  EXPECT_EQ(t.requests()[2].url,
            base + "?maxitems=3&name=_web._tcp.example.com.&type=SRV&identifier=ecssd%3Ahost-a%3A0123456789ab%3A80-tcp");
  EXPECT_EQ(t.requests()[3].url,
            base + "?maxitems=3&name=web.example.com.&type=CNAME&identifier=ecssd%3Ahost-a%3A0123456789ab%3A80-tcp");

  // 9 record sets, the MX skipped.
  ASSERT_EQ(listed->size(), 8u);
  auto find = [&](std::string_view name, RecordType type) -> const model::Record* {
    for (const auto& r : *listed) {
      if (r.name == name && r.type == type) return &r;
    }
    return nullptr;
  };
  ASSERT_TRUE(find("*.example.com", RecordType::kA));
  const model::Record* srv = find("_web._tcp.example.com", RecordType::kSRV);
  ASSERT_TRUE(srv);
  EXPECT_EQ(srv->values, std::vector<std::string>{"1 1 18081 host-a.example.com"});
  EXPECT_EQ(srv->weight, 1u);
  const model::Record* companion = find("cname._ecssd.web.example.com", RecordType::kTXT);
  ASSERT_TRUE(companion);
  EXPECT_EQ(companion->values,
            std::vector<std::string>{model::txt_encode({"heritage=ecssd", "set=ecssd:host-a:0123456789ab:80-tcp",
                                                        "value=host-a.example.com", "owner=host-a",
                                                        "container-name=web \"blue\"\ttab"})});
  const model::Record* alias = find("www.example.com", RecordType::kA);
  ASSERT_TRUE(alias);
  EXPECT_EQ(alias->values, std::vector<std::string>{"d111111abcdef8.cloudfront.net"});
  ASSERT_TRUE(find("api.example.com", RecordType::kA)) << "latency records are listed";
  EXPECT_TRUE(find("example.com", RecordType::kSOA));
}

TEST(Route53List, AWeightedGroupLargerThanAPageIsListedWhole) {
  Harness big;
  for (int i = 0; i < 1000; ++i) {
    big.zone.add({.name = "web.example.com.", .type = "CNAME", .set_identifier = set_id(i), .weight = 1, .ttl = 10,
                  .values = {"host-a.example.com"}});
  }
  big.zone.add({.name = "z.example.com.", .type = "A", .ttl = 300, .values = {"192.0.2.2"}});
  auto all = run(big.start().list());
  ASSERT_TRUE(all.ok()) << all.error().describe();
  EXPECT_EQ(all->size(), 1001u);
  EXPECT_EQ(big.zone.list_requests(), 4u);
  std::set<std::string> ids;
  for (const auto& r : *all) ids.insert(r.set_identifier);
  EXPECT_EQ(ids.size(), 1001u) << "every weighted member once, and z's empty identifier";
}

TEST(Route53List, EscapedNamesAreSentBackUrlEncoded) {
  Harness h;
  h.zone.add({.name = "a.example.com.", .type = "A", .ttl = 300, .values = {"192.0.2.1"}});
  h.zone.add({.name = "*.b.example.com.", .type = "A", .ttl = 300, .values = {"192.0.2.2"}});
  h.options.page_size = 1;
  auto listed = run(h.start().list());
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2u);
  ASSERT_EQ(h.transport.requests().size(), 3u);
  EXPECT_NE(h.transport.requests()[2].url.find("&name=%5C052.b.example.com.&type=A"), std::string::npos)
      << h.transport.requests()[2].url;
  EXPECT_EQ((*listed)[1].name, "*.b.example.com");
}

TEST(Route53List, RecordSetsRepeatedByAServerWithoutIdentifiersAreListedOnce) {
  fakes::FakeTransport t;
  // The second page starts from the top again.
  auto p = on_recorded_zone(t, {"moto_list_rrsets_page1.xml", "moto_list_rrsets.xml"});
  auto listed = run(p->list());
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 11u);
  EXPECT_NE(t.requests()[2].url.find("&name=host-a.example.com.&type=A"), std::string::npos);
  EXPECT_EQ(t.requests()[2].url.find("identifier="), std::string::npos);
}

TEST(Route53List, PaginationThatDoesNotAdvanceIsAProtocolError) {
  fakes::FakeTransport t;
  auto p = on_recorded_zone(t, std::vector<std::string>(3, "doc_list_rrsets_page2.xml"));
  auto listed = run(p->list());
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.error().code, ErrorCode::kProtocol);
  EXPECT_NE(listed.error().message.find("does not advance"), std::string::npos);
  EXPECT_EQ(t.requests().size(), 3u);
}

TEST(Route53List, ErrorsAreNeverAPartialListing) {
  Harness h;
  auto& p = h.start();
  h.transport.push(200, "<ListResourceRecordSetsResponse><ResourceRecordSets><ResourceRecordSet>");
  auto bad = run(p.list());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kProtocol);

  h.transport.push(404, fixture("route53/doc_error_no_such_hosted_zone.xml"));
  auto gone = run(p.list());
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);

  h.transport.push(403, fixture("route53/doc_error_access_denied.xml"));
  auto denied = run(p.list());
  ASSERT_FALSE(denied.ok());
  EXPECT_NE(denied.error().message.find("route53:ListResourceRecordSets on hosted zone Z1 (example.com)"),
            std::string::npos)
      << denied.error().message;

  fakes::FakeTransport t;
  Route53Provider before(t, endpoint(), Route53Options{.zone = "example.com"}, nullptr);
  EXPECT_EQ(run(before.list()).error().code, ErrorCode::kInternal);
  EXPECT_EQ(run(before.apply({})).error().code, ErrorCode::kInternal);
  EXPECT_TRUE(t.requests().empty());
}

TEST(Route53List, ThrottledListingIsRetriedWithBackoff) {
  Harness h;
  auto& p = h.start();
  h.zone.throttle(3);
  auto listed = run(p.list());
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(h.sleeper.delays.size(), 3u);
  EXPECT_LE(h.sleeper.delays[0].count(), 200);
  EXPECT_LE(h.sleeper.delays[1].count(), 400);
  EXPECT_LE(h.sleeper.delays[2].count(), 800);
}

// --- apply ------------------------------------------------------------------

TEST(Route53Apply, CreatesGoInOneRequest) {
  Harness h;
  h.start();
  model::ChangeSet cs;
  for (int i = 0; i < 3; ++i) {
    for (auto& r : cname_with_companion("web.example.com", i)) cs.create.push_back(r);
  }
  ApplyReport report = h.apply(cs);
  EXPECT_EQ(report.requests, 1u);
  EXPECT_EQ(report.applied.create.size(), 6u);
  EXPECT_TRUE(report.failed.empty());
  const auto& req = h.transport.requests().back();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "https://route53.amazonaws.com/2013-04-01/hostedzone/Z1/rrset");
  ASSERT_FALSE(req.headers.empty());
  EXPECT_EQ(req.headers[0], (std::pair<std::string, std::string>{"Content-Type", "application/xml"}));
  EXPECT_NE(req.body.find("<Comment>ecssd</Comment>"), std::string::npos);
  const fakes::FakeRrset* r = h.zone.find("web.example.com", "CNAME", set_id(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->values, std::vector<std::string>{"host-a.example.com."});
  EXPECT_EQ(r->weight, 1u);
  EXPECT_EQ(r->ttl, 10u);
}

TEST(Route53Apply, NothingToDoSendsNothing) {
  Harness h;
  h.start();
  ApplyReport report = h.apply({});
  EXPECT_EQ(report.requests, 0u);
  EXPECT_EQ(h.zone.change_requests(), 0u);
}

TEST(Route53Apply, UpdateIsDeleteOfTheListedValuesThenCreateInOneRequest) {
  Harness h;
  // Stored as another tool wrote it: no trailing dot, a health check attached.
  h.zone.add({.name = "web.example.com.", .type = "CNAME", .set_identifier = set_id(1), .weight = 1, .ttl = 10,
              .values = {"Host-A.example.com"}, .health_check_id = "hc-1"});
  auto& p = h.start();
  auto listed = run(p.list());
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  model::Record old = listed->front();
  EXPECT_EQ(old.values, std::vector<std::string>{"host-a.example.com"});
  model::Record now = old;
  now.ttl = 30;
  model::ChangeSet cs;
  cs.update.push_back({old, now});
  ApplyReport report = h.apply(cs);
  ASSERT_TRUE(report.failed.empty()) << report.failed[0].error.describe();
  ASSERT_EQ(report.applied.update.size(), 1u);
  ASSERT_EQ(h.zone.accepted().size(), 1u);
  const auto& batch = h.zone.accepted()[0];
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0].action, "DELETE");
  EXPECT_EQ(batch[0].rrset.values, std::vector<std::string>{"Host-A.example.com"}) << "exactly as listed";
  EXPECT_EQ(batch[1].action, "CREATE");
  EXPECT_EQ(batch[1].rrset.ttl, 30u);
  EXPECT_EQ(batch[1].rrset.health_check_id, "hc-1") << "a health check someone attached stays attached";
}

TEST(Route53Apply, WhatItWroteItCanDeleteWithoutListingAgain) {
  Harness h;
  h.start();
  auto pair = cname_with_companion("web.example.com", 1);
  h.apply({.create = pair});
  ApplyReport removed = h.apply({.remove = pair});
  EXPECT_EQ(removed.applied.remove.size(), 2u);
  EXPECT_TRUE(removed.failed.empty());
  EXPECT_TRUE(h.zone.rrsets().empty());
}

// Each name holds two weighted members: 600 names, 1200 records, few characters.
model::ChangeSet two_per_name(int names, int first_container = 0) {
  model::ChangeSet cs;
  for (int i = 0; i < names; ++i) {
    for (int j = 0; j < 2; ++j) {
      cs.create.push_back(rec(fmt::format("svc-{}.example.com", i), RecordType::kA, "10.0.0.1",
                              set_id(first_container + 2 * i + j)));
    }
  }
  return cs;
}

// The request each name was sent in; fails the test when a name spans two.
std::map<std::string, size_t> request_of_each_name(const fakes::FakeRoute53& zone) {
  std::map<std::string, size_t> out;
  for (size_t b = 0; b < zone.accepted().size(); ++b) {
    for (const auto& c : zone.accepted()[b]) {
      std::string base = model::normalize_name(c.rrset.name);
      if (auto parsed = registry::parse_companion_name(base)) base = parsed->first;
      auto [it, fresh] = out.emplace(base, b);
      EXPECT_EQ(it->second, b) << base << " split across requests";
    }
  }
  return out;
}

TEST(Route53Apply, SplitsAtTheRecordLimitWithoutSplittingAName) {
  Harness h;
  h.start();
  ApplyReport report = h.apply(two_per_name(600));
  EXPECT_TRUE(report.failed.empty());
  EXPECT_EQ(report.applied.create.size(), 1200u);
  EXPECT_EQ(report.requests, 2u);
  for (const auto& batch : h.zone.accepted()) EXPECT_LE(batch.size(), 1000u);
  EXPECT_EQ(h.zone.accepted()[0].size(), 1000u) << "the first request is filled";
  EXPECT_EQ(request_of_each_name(h.zone).size(), 600u);
  EXPECT_EQ(h.zone.rrsets().size(), 1200u);
}

TEST(Route53Apply, RecordsWithCompanionsNeedNoMoreRequestsThanTheLimitsForce) {
  Harness h;
  h.start();
  model::ChangeSet cs;
  for (int i = 0; i < 600; ++i) {
    for (auto& r : cname_with_companion(fmt::format("svc-{}.example.com", i), i)) cs.create.push_back(r);
  }
  size_t records = 0, chars = 0;
  for (const auto& r : cs.create) {
    auto rs = route53::to_record_set(r);
    records += rs->values.size();
    for (const auto& v : rs->values) chars += v.size();
  }
  ApplyReport report = h.apply(cs);
  EXPECT_TRUE(report.failed.empty());
  EXPECT_EQ(report.applied.create.size(), 1200u);
  size_t lower_bound = std::max((records + 999) / 1000, (chars + 31999) / 32000);
  EXPECT_EQ(report.requests, lower_bound) << records << " records, " << chars << " characters";
  for (const auto& batch : h.zone.accepted()) {
    size_t c = 0;
    for (const auto& ch : batch) {
      for (const auto& v : ch.rrset.values) c += v.size();
    }
    EXPECT_LE(c, 32000u);
  }
  EXPECT_EQ(request_of_each_name(h.zone).size(), 600u);
}

TEST(Route53Apply, SplitsAtTheCharacterLimit) {
  Harness h;
  h.start();
  model::ChangeSet cs;
  // 20 TXT records of 2000 characters each: 40 records, 40000 characters.
  for (int i = 0; i < 20; ++i) {
    model::Record r = rec(fmt::format("t{}.example.com", i), RecordType::kTXT,
                          model::txt_encode({std::string(1990, 'a' + i % 26)}), set_id(i));
    cs.create.push_back(r);
  }
  ApplyReport report = h.apply(cs);
  EXPECT_TRUE(report.failed.empty());
  EXPECT_EQ(report.requests, 2u);
  for (const auto& batch : h.zone.accepted()) {
    size_t chars = 0;
    for (const auto& c : batch) {
      for (const auto& v : c.rrset.values) chars += v.size();
    }
    EXPECT_LE(chars, 32000u);
  }
  EXPECT_EQ(h.zone.rrsets().size(), 20u);
}

TEST(Route53Apply, KeepsANameTogetherEvenWhenItFillsMostOfARequest) {
  Harness h;
  h.options.limits.max_records = 700;
  h.zone.max_records = 700;
  h.start();
  model::ChangeSet cs = two_per_name(300, 10'000);
  for (int i = 0; i < 600; ++i) cs.create.push_back(rec("web.example.com", RecordType::kA, "10.0.0.2", set_id(i)));
  ApplyReport report = h.apply(cs);
  EXPECT_TRUE(report.failed.empty());
  EXPECT_EQ(report.applied.create.size(), 1200u);
  EXPECT_EQ(report.requests, 2u) << "600 for web + 100 others, then the other 500";
  auto names = request_of_each_name(h.zone);
  EXPECT_EQ(names.size(), 301u);
  EXPECT_EQ(h.zone.accepted()[names["web.example.com"]].size(), 700u);
}

TEST(Route53Apply, ANameTooLargeForOneRequestIsSplitByContainer) {
  Harness h;
  h.options.limits.max_records = 10;
  h.zone.max_records = 10;
  h.start();
  model::ChangeSet cs;
  for (int i = 0; i < 8; ++i) {
    for (auto& r : cname_with_companion("web.example.com", i)) cs.create.push_back(r);
  }
  ApplyReport report = h.apply(cs);
  EXPECT_TRUE(report.failed.empty());
  EXPECT_EQ(report.applied.create.size(), 16u);
  EXPECT_EQ(report.requests, 2u);
  for (const auto& batch : h.zone.accepted()) {
    std::multiset<std::string> ids;
    for (const auto& c : batch) ids.insert(c.rrset.set_identifier);
    for (const auto& id : ids) EXPECT_EQ(ids.count(id), 2u) << "record and companion together: " << id;
  }
}

TEST(Route53Apply, AChangeOverTheLimitsOnItsOwnIsRefusedLocally) {
  Harness h;
  h.options.limits.max_value_chars = 100;
  h.start();
  model::ChangeSet cs;
  cs.create.push_back(rec("big.example.com", RecordType::kTXT, model::txt_encode({std::string(200, 'x')}), "s"));
  cs.create.push_back(rec("small.example.com", RecordType::kA, "10.0.0.1", "s"));
  ApplyReport report = h.apply(cs);
  ASSERT_EQ(report.failed.size(), 1u);
  EXPECT_EQ(report.failed[0].error.code, ErrorCode::kTooLarge);
  EXPECT_EQ(report.applied.create.size(), 1u);
  EXPECT_EQ(report.requests, 1u);
}

TEST(Route53Apply, ThrottlingThenSuccess) {
  Harness h;
  h.start();
  h.zone.throttle(2);
  common::Counter& throttled = common::Metrics::global().counter(
      "ecssd_route53_retries_total", "Route 53 requests retried (throttling, 5xx, timeouts)", {{"reason", "throttled"}});
  const uint64_t before = throttled.value();
  ApplyReport report = h.apply({.create = cname_with_companion("web.example.com", 1)});
  EXPECT_EQ(report.applied.create.size(), 2u);
  EXPECT_EQ(report.requests, 3u) << "requests counts the retries";
  EXPECT_EQ(throttled.value() - before, 2u) << "each retry is counted in a metric";
  ASSERT_EQ(h.sleeper.delays.size(), 2u);
  EXPECT_LE(h.sleeper.delays[0].count(), 200);
  EXPECT_LE(h.sleeper.delays[1].count(), 400);
}

TEST(Route53Apply, PriorRequestNotCompleteServerErrorsAndTimeoutsAreRetried) {
  Harness h;
  h.start();
  h.transport.push(400, fixture("route53/doc_error_prior_request_not_complete.xml"));
  h.transport.push(500, "<ErrorResponse><Error><Code>InternalFailure</Code><Message>oops</Message></Error></ErrorResponse>");
  h.transport.push(common::transient_error(ErrorCode::kTimeout, "no answer in 10s"));
  ApplyReport report = h.apply({.create = cname_with_companion("web.example.com", 1)});
  EXPECT_EQ(report.applied.create.size(), 2u);
  EXPECT_EQ(report.requests, 4u);
  EXPECT_EQ(h.sleeper.delays.size(), 3u);
}

TEST(Route53Apply, ThrottledPastTheRetriesIsATransientError) {
  Harness h;
  h.options.retry.max_attempts = 4;
  h.start();
  h.zone.throttle(100);
  auto r = run(h.provider->apply({.create = cname_with_companion("web.example.com", 1)}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kThrottled);
  EXPECT_TRUE(r.error().transient);
  EXPECT_NE(r.error().message.find("gave up after 4 attempts"), std::string::npos);
  EXPECT_EQ(h.sleeper.delays.size(), 3u);
  EXPECT_TRUE(h.zone.rrsets().empty());
}

TEST(Route53Apply, RefusalAfterALostAnswerMeansTheOutcomeIsUnknown) {
  Harness h;
  h.start();
  auto pair = cname_with_companion("web.example.com", 1);
  // The first attempt reached Route 53 and was applied, but the answer was lost.
  h.transport.set_handler([&](const aws::HttpRequest& req) -> common::Result<aws::HttpResponse> {
    auto answer = h.zone.handle(req);
    if (req.method == "POST" && h.zone.change_requests() == 1) {
      return common::transient_error(ErrorCode::kTimeout, "no answer in 10s");
    }
    return answer;
  });
  auto r = run(h.provider->apply({.create = pair}));
  ASSERT_FALSE(r.ok()) << "the retry is refused (already exists): the state must be listed again";
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(r.error().transient);
  EXPECT_NE(r.error().message.find("outcome unknown"), std::string::npos);
  EXPECT_EQ(h.zone.rrsets().size(), 2u);
}

TEST(Route53Apply, OneRefusedChangeAmongFiftyIsIsolatedByItsMessage) {
  Harness h;
  h.start();
  h.zone.refuse_name("svc-17.example.com");
  model::ChangeSet cs;
  for (int i = 0; i < 50; ++i) cs.create.push_back(rec(fmt::format("svc-{}.example.com", i), RecordType::kA, "10.0.0.1", set_id(i)));
  ApplyReport report = h.apply(cs);
  EXPECT_EQ(report.applied.create.size(), 49u);
  ASSERT_EQ(report.failed.size(), 1u);
  EXPECT_EQ(report.failed[0].change.create.at(0).name, "svc-17.example.com");
  EXPECT_EQ(report.failed[0].error.code, ErrorCode::kConflict);
  EXPECT_NE(report.failed[0].error.message.find("RRSet with DNS name svc-17.example.com. is not permitted"),
            std::string::npos)
      << report.failed[0].error.message;
  EXPECT_EQ(report.requests, 3u) << "the batch, the 49 others, the named one alone";
  EXPECT_EQ(h.zone.rrsets().size(), 49u);
}

TEST(Route53Apply, ARefusalThatNamesNothingIsIsolatedByBisection) {
  Harness h;
  h.start();
  h.zone.refuse_name("svc-17.example.com", /*named=*/false);
  h.zone.refuse_name("svc-40.example.com", /*named=*/false);
  model::ChangeSet cs;
  for (int i = 0; i < 50; ++i) cs.create.push_back(rec(fmt::format("svc-{}.example.com", i), RecordType::kA, "10.0.0.1", set_id(i)));
  ApplyReport report = h.apply(cs);
  EXPECT_EQ(report.applied.create.size(), 48u);
  ASSERT_EQ(report.failed.size(), 2u);
  std::set<std::string> failed;
  for (const auto& f : report.failed) failed.insert(f.change.create.at(0).name);
  EXPECT_EQ(failed, (std::set<std::string>{"svc-17.example.com", "svc-40.example.com"}));
  EXPECT_LE(report.requests, 1u + 2u * 2u * 6u) << "two bisection paths of depth log2(50)";
  EXPECT_EQ(h.zone.rrsets().size(), 48u);
}

TEST(Route53Apply, ARefusedContainerDoesNotBlockTheOthersOfTheSameName) {
  Harness h;
  // Container 3's record exists already (left over), so creating it is refused.
  h.zone.add({.name = "web.example.com.", .type = "CNAME", .set_identifier = set_id(3), .weight = 1, .ttl = 10,
              .values = {"elsewhere.example.com."}});
  h.start();
  model::ChangeSet cs;
  for (int i = 0; i < 10; ++i) {
    for (auto& r : cname_with_companion("web.example.com", i)) cs.create.push_back(r);
  }
  ApplyReport report = h.apply(cs);
  EXPECT_EQ(report.applied.create.size(), 18u);
  ASSERT_EQ(report.failed.size(), 2u) << "container 3's record and companion stay together";
  for (const auto& f : report.failed) EXPECT_EQ(f.change.create.at(0).set_identifier, set_id(3));
  EXPECT_NE(report.failed[0].error.message.find("already exists"), std::string::npos);
}

TEST(Route53Apply, RecordSetsEcssdMustNotChangeAreRefusedWithoutARequest) {
  fakes::FakeTransport t;
  auto p = on_recorded_zone(t, {"moto_list_rrsets.xml"});
  auto listed = run(p->list());
  ASSERT_TRUE(listed.ok());
  model::ChangeSet cs;
  for (const auto& r : *listed) {
    if (r.name == "api.example.com" || r.name == "www.example.com") cs.remove.push_back(r);
  }
  ASSERT_EQ(cs.remove.size(), 2u);
  cs.create.push_back(rec("www.example.com", RecordType::kA, "10.0.0.1"));
  cs.create.push_back(rec("elsewhere.example.org", RecordType::kA, "10.0.0.1", "s"));
  auto r = run(p->apply(cs));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->failed.size(), 4u);
  std::string reasons;
  for (const auto& f : r->failed) reasons += f.error.message + "\n";
  EXPECT_NE(reasons.find("Route 53 failover record, which ecssd never changes"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("Route 53 alias record, which ecssd never changes"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("elsewhere.example.org is outside the zone example.com"), std::string::npos) << reasons;
  EXPECT_EQ(t.requests().size(), 2u) << "no change request";
}

TEST(Route53Apply, AccessDeniedOnTheFirstRequestIsAnError) {
  Harness h;
  h.start();
  h.transport.push(403, fixture("route53/doc_error_access_denied.xml"));
  auto r = run(h.provider->apply({.create = cname_with_companion("web.example.com", 1)}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(r.error().message.find("route53:ChangeResourceRecordSets on hosted zone Z1 (example.com)"),
            std::string::npos)
      << r.error().message;
}

TEST(Route53Apply, AFailureAfterSomeRequestsReportsTheRestAsFailed) {
  Harness h;
  h.options.limits.max_records = 2;
  h.start();
  h.transport.set_handler([&](const aws::HttpRequest& req) -> common::Result<aws::HttpResponse> {
    if (req.method == "POST" && h.zone.change_requests() == 1) {
      return fakes::xml_response(403, fixture("route53/doc_error_access_denied.xml"));
    }
    return h.zone.handle(req);
  });
  model::ChangeSet cs;
  for (int i = 0; i < 3; ++i) cs.create.push_back(rec(fmt::format("svc-{}.example.com", i), RecordType::kA, "10.0.0.1", set_id(i)));
  ApplyReport report = h.apply(cs);
  EXPECT_EQ(report.applied.create.size(), 2u);
  ASSERT_EQ(report.failed.size(), 1u);
  EXPECT_EQ(report.failed[0].error.code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(report.requests, 2u);
}

TEST(Route53Apply, DeletionsComeFirstInARequest) {
  Harness h;
  h.start();
  auto a = cname_with_companion("web.example.com", 1);
  h.apply({.create = a});
  model::ChangeSet cs;
  cs.create = cname_with_companion("web.example.com", 2);
  cs.remove = a;
  ApplyReport report = h.apply(cs);
  EXPECT_EQ(report.requests, 1u);
  const auto& batch = h.zone.accepted().back();
  ASSERT_EQ(batch.size(), 4u);
  EXPECT_EQ(batch[0].action, "DELETE");
  EXPECT_EQ(batch[1].action, "DELETE");
  EXPECT_EQ(batch[2].action, "CREATE");
}

TEST(Route53Apply, OverlappingCallsAreRefusedNotInterleaved) {
  Harness h;
  h.options.retry.base = std::chrono::milliseconds(1);
  h.provider = std::make_unique<Route53Provider>(h.transport, endpoint(), h.options, nullptr);  // real timers
  ASSERT_TRUE(run(h.provider->init()).ok());
  h.zone.throttle(1);  // the first call waits on a timer, letting the second one run
  boost::asio::io_context io;
  std::optional<common::Result<ApplyReport>> first, second;
  auto keep = [](std::optional<common::Result<ApplyReport>>* into) {
    return [into](std::exception_ptr, common::Result<ApplyReport> r) { into->emplace(std::move(r)); };
  };
  boost::asio::co_spawn(io, h.provider->apply({.create = cname_with_companion("a.example.com", 1)}), keep(&first));
  boost::asio::co_spawn(io, h.provider->apply({.create = cname_with_companion("b.example.com", 2)}), keep(&second));
  io.run();
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(first->ok());
  EXPECT_EQ((*first)->applied.create.size(), 2u);
  ASSERT_FALSE(second->ok());
  EXPECT_EQ(second->error().code, ErrorCode::kInternal);
  EXPECT_EQ(h.zone.rrsets().size(), 2u);
  // Once the first is done, the provider takes the next batch.
  EXPECT_TRUE(run(h.provider->apply({.create = cname_with_companion("b.example.com", 2)})).ok());
}

TEST(Route53Apply, CanonicalizeIsWhatTheListingReturns) {
  Harness h;
  auto& p = h.start();
  model::Record r = rec("Web.Example.com.", RecordType::kSRV, "1 1 80 Host-A.Example.com.", "s");
  r.name = "web.example.com";
  h.apply({.create = {r}});
  auto listed = run(p.list());
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front(), p.canonicalize(r));
  EXPECT_EQ(p.capabilities().set_identifiers, true);
  EXPECT_EQ(p.capabilities().writable, true);
}

}  // namespace
}  // namespace ecssd::provider
