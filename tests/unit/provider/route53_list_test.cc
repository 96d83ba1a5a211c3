// Route53Provider::list() against recorded responses (tests/fixtures/route53)
// and a simulated hosted zone: pagination, repeats, escapes, errors, retries.
#include "provider/route53/route53_provider.h"

#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "model/names.h"
#include "model/rdata.h"
#include "unit/provider/route53_harness.h"

namespace ecssd::provider {
namespace {

using common::ErrorCode;
using ecssd::testing::fixture;
using model::RecordType;
using namespace route53_test;

TEST(Route53List, ThreePagesWithNextRecordIdentifier) {
  ecssd::testing::Route53TestEnv env;
  fakes::FakeTransport t;
  auto p = on_recorded_zone(env, t, {"doc_list_rrsets_page1.xml", "doc_list_rrsets_page2.xml", "doc_list_rrsets_page3.xml"}, 3);
  auto listed = env.run(p->list());
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
  auto all = big.run(big.start().list());
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
  auto listed = h.run(h.start().list());
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2u);
  ASSERT_EQ(h.transport.requests().size(), 3u);
  EXPECT_NE(h.transport.requests()[2].url.find("&name=%5C052.b.example.com.&type=A"), std::string::npos)
      << h.transport.requests()[2].url;
  EXPECT_EQ((*listed)[1].name, "*.b.example.com");
}

TEST(Route53List, RecordSetsRepeatedByAServerWithoutIdentifiersAreListedOnce) {
  ecssd::testing::Route53TestEnv env;
  fakes::FakeTransport t;
  // The second page starts from the top again.
  auto p = on_recorded_zone(env, t, {"moto_list_rrsets_page1.xml", "moto_list_rrsets.xml"});
  auto listed = env.run(p->list());
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 11u);
  EXPECT_NE(t.requests()[2].url.find("&name=host-a.example.com.&type=A"), std::string::npos);
  EXPECT_EQ(t.requests()[2].url.find("identifier="), std::string::npos);
}

TEST(Route53List, PaginationThatDoesNotAdvanceIsAProtocolError) {
  ecssd::testing::Route53TestEnv env;
  fakes::FakeTransport t;
  auto p = on_recorded_zone(env, t, std::vector<std::string>(3, "doc_list_rrsets_page2.xml"));
  auto listed = env.run(p->list());
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.error().code, ErrorCode::kProtocol);
  EXPECT_NE(listed.error().message.find("does not advance"), std::string::npos);
  EXPECT_EQ(t.requests().size(), 3u);
}

TEST(Route53List, ErrorsAreNeverAPartialListing) {
  Harness h;
  auto& p = h.start();
  h.transport.push(200, "<ListResourceRecordSetsResponse><ResourceRecordSets><ResourceRecordSet>");
  auto bad = h.run(p.list());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kProtocol);

  h.transport.push(404, fixture("route53/doc_error_no_such_hosted_zone.xml"));
  auto gone = h.run(p.list());
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);

  h.transport.push(403, fixture("route53/doc_error_access_denied.xml"));
  auto denied = h.run(p.list());
  ASSERT_FALSE(denied.ok());
  EXPECT_NE(denied.error().message.find("route53:ListResourceRecordSets on hosted zone Z1 (example.com)"),
            std::string::npos)
      << denied.error().message;

  fakes::FakeTransport t;
  Route53Provider before(t, endpoint(), Route53Options{.zone = "example.com"}, h.env.time, h.env.scope());
  EXPECT_EQ(h.run(before.list()).error().code, ErrorCode::kInternal);
  EXPECT_EQ(h.run(before.apply({})).error().code, ErrorCode::kInternal);
  EXPECT_TRUE(t.requests().empty());
}

TEST(Route53List, ThrottledListingIsRetriedWithBackoff) {
  Harness h;
  h.options.retry.pacing.enabled = false;  // the backoff alone (Route53Client's tests pace)
  auto& p = h.start();
  h.zone.throttle(3);
  const size_t first = h.clocked.sent();
  const auto started = h.env.time.steady_now();
  auto listed = h.run(p.list());
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(h.clocked.sent() - first, 4u) << "three throttled attempts, then the listing";
  auto waits = h.waits_from(first);
  ASSERT_EQ(waits.size(), 3u);
  EXPECT_LE(waits[0].count(), 200);
  EXPECT_LE(waits[1].count(), 400);
  EXPECT_LE(waits[2].count(), 800);
  EXPECT_EQ(h.env.time.steady_now() - started, waits[0] + waits[1] + waits[2]) << "it waited on simulated time only";
}

}  // namespace
}  // namespace ecssd::provider
