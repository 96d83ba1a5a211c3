// Finding the hosted zone (provider/route53/zone_lookup.h): by name and type,
// by id, and the errors that say what to pass instead; through
// Route53Provider::init() and the lookup's parts alone.
#include "provider/route53/zone_lookup.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "fakes/fake_transport.h"
#include "provider/route53/route53_provider.h"
#include "unit/provider/route53_fake_zone.h"
#include "unit/provider/route53_test_util.h"

namespace ecssd::provider {
namespace {

using common::ErrorCode;
using ecssd::testing::fixture;

aws::ServiceEndpoint endpoint() { return {"route53", "us-east-1", "https://route53.amazonaws.com"}; }

constexpr const char* kMotoZoneId = "STSP3XM4ZMZJJFM30G43MW";  // in the recorded moto_*.xml

class Route53Zone : public ::testing::Test {
 protected:
  std::unique_ptr<Route53Provider> make(aws::Transport& t, Route53Options o) {
    return std::make_unique<Route53Provider>(t, endpoint(), std::move(o), env_.time, env_.scope());
  }
  std::unique_ptr<Route53Provider> by_name(aws::Transport& t, ZoneType type) {
    Route53Options o;
    o.zone = "Example.COM.";
    o.zone_type = type;
    o.retry.seed = 1;
    return make(t, o);
  }
  // Answers `t` from a simulated private zone Z1 "example.com".
  void serve_zone_z1(fakes::FakeTransport& t) {
    t.set_handler([this](const aws::HttpRequest& req) { return zone_.handle(req); });
  }
  template <typename T>
  T run(boost::asio::awaitable<T> task) {
    return env_.run(std::move(task));
  }

  ecssd::testing::Route53TestEnv env_;
  fakes::FakeRoute53 zone_{"Z1", "example.com"};
};

TEST_F(Route53Zone, AnyPrefersThePrivateZoneOfTheSameName) {
  fakes::FakeTransport t;
  t.push(200, fixture("route53/moto_list_hosted_zones_by_name.xml"));
  auto p = by_name(t, ZoneType::kAny);
  auto st = run(p->init());
  ASSERT_TRUE(st.ok()) << st.error().describe();
  EXPECT_EQ(p->zone_id(), kMotoZoneId);
  EXPECT_EQ(p->zone(), "example.com");
  ASSERT_EQ(t.requests().size(), 1u);
  EXPECT_EQ(t.requests()[0].method, "GET");
  EXPECT_EQ(t.requests()[0].url, "https://route53.amazonaws.com/2013-04-01/hostedzonesbyname?dnsname=example.com&maxitems=100");
  EXPECT_EQ(t.endpoints()[0].signing_name, "route53");
}

TEST_F(Route53Zone, PublicAndPrivateWhenAsked) {
  for (auto [type, id] : {std::pair{ZoneType::kPublic, "SHCMAEM4H80DP3WZ1CWC5S"},
                          std::pair{ZoneType::kPrivate, kMotoZoneId}}) {
    fakes::FakeTransport t;
    t.push(200, fixture("route53/moto_list_hosted_zones_by_name.xml"));
    auto p = by_name(t, type);
    ASSERT_TRUE(run(p->init()).ok());
    EXPECT_EQ(p->zone_id(), id);
  }
}

TEST_F(Route53Zone, AnyFallsBackToThePublicZone) {
  fakes::FakeTransport t;
  t.push(200, fixture("route53/doc_list_hosted_zones_public_only.xml"));
  auto p = by_name(t, ZoneType::kAny);
  ASSERT_TRUE(run(p->init()).ok());
  EXPECT_EQ(p->zone_id(), "Z1PUBLIC00000000001");
}

TEST_F(Route53Zone, MissingPrivateZoneNamesThePublicOne) {
  fakes::FakeTransport t;
  t.push(200, fixture("route53/doc_list_hosted_zones_public_only.xml"));
  auto p = by_name(t, ZoneType::kPrivate);
  auto st = run(p->init());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kNotFound);
  EXPECT_NE(st.error().message.find("no private hosted zone named example.com"), std::string::npos);
  EXPECT_NE(st.error().message.find("Z1PUBLIC00000000001"), std::string::npos);
  EXPECT_NE(st.error().message.find("--zone-type public"), std::string::npos);
  EXPECT_TRUE(p->zone_id().empty());
}

TEST_F(Route53Zone, NoZoneAtAllIsNotFound) {
  fakes::FakeTransport t;
  t.push(200,
         "<ListHostedZonesByNameResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><HostedZones/>"
         "<DNSName>example.com.</DNSName><IsTruncated>false</IsTruncated><MaxItems>100</MaxItems>"
         "</ListHostedZonesByNameResponse>");
  auto st = run(by_name(t, ZoneType::kAny)->init());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kNotFound);
  EXPECT_NE(st.error().message.find("no hosted zone named example.com"), std::string::npos);
}

TEST_F(Route53Zone, PaginatesWhileTheNameContinuesAndRefusesAmbiguity) {
  fakes::FakeTransport t;
  t.push(200, fixture("route53/doc_list_hosted_zones_page1.xml"));
  t.push(200, fixture("route53/doc_list_hosted_zones_page2.xml"));
  auto st = run(by_name(t, ZoneType::kAny)->init());
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
  auto p = by_name(t2, ZoneType::kPublic);
  ASSERT_TRUE(run(p->init()).ok());
  EXPECT_EQ(p->zone_id(), "Z1PUBLIC00000000001");
}

TEST_F(Route53Zone, ByIdReadsTheNameAndChecksTheOptions) {
  Route53Options o;
  o.zone_id = "/hostedzone/Z1";
  fakes::FakeTransport t;
  serve_zone_z1(t);
  auto p = make(t, o);
  auto s = run(p->init());
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_EQ(p->zone(), "example.com");
  EXPECT_EQ(p->zone_id(), "Z1");
  EXPECT_EQ(t.requests()[0].url, "https://route53.amazonaws.com/2013-04-01/hostedzone/Z1");

  o.zone_id = "Z1";
  o.zone = "other.com";
  fakes::FakeTransport other;
  serve_zone_z1(other);
  auto st = run(make(other, o)->init());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(st.error().message.find("is the zone example.com, not --zone other.com"), std::string::npos);

  o.zone.clear();
  o.zone_type = ZoneType::kPublic;
  fakes::FakeTransport pub;
  serve_zone_z1(pub);
  auto typed = run(make(pub, o)->init());
  ASSERT_FALSE(typed.ok());
  EXPECT_NE(typed.error().message.find("is a private zone"), std::string::npos);
}

TEST_F(Route53Zone, UnknownOrMalformedZoneId) {
  fakes::FakeTransport t;
  t.push(404, fixture("route53/doc_error_no_such_hosted_zone.xml"));
  Route53Options o;
  o.zone_id = "Z0123456789ABCDEFGHIJ";
  auto p = make(t, o);
  auto st = run(p->init());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kNotFound);
  EXPECT_NE(st.error().message.find("Z0123456789ABCDEFGHIJ"), std::string::npos);

  fakes::FakeTransport none;
  o.zone_id = "Z1/../../x";
  auto st2 = run(make(none, o)->init());
  ASSERT_FALSE(st2.ok());
  EXPECT_EQ(st2.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(none.requests().empty());

  EXPECT_EQ(run(make(none, Route53Options{})->init()).error().code, ErrorCode::kInvalidArgument);

  fakes::FakeTransport denied;
  denied.push(403, fixture("route53/doc_error_access_denied.xml"));
  o.zone_id = "Z0123456789ABCDEFGHIJ";
  auto st3 = run(make(denied, o)->init());
  ASSERT_FALSE(st3.ok());
  EXPECT_EQ(st3.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(st3.error().message.find("route53:GetHostedZone on hosted zone Z0123456789ABCDEFGHIJ;"), std::string::npos)
      << st3.error().message;
}

TEST_F(Route53Zone, AccessDeniedNamesThePermissionAndTheZone) {
  fakes::FakeTransport t;
  t.push(403, fixture("route53/doc_error_access_denied.xml"));
  auto st = run(by_name(t, ZoneType::kAny)->init());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kPermissionDenied);
  EXPECT_FALSE(st.error().transient);
  EXPECT_NE(st.error().message.find("route53:ListHostedZonesByName"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("example.com"), std::string::npos);
  EXPECT_EQ(t.requests().size(), 1u) << "not retried";
}

TEST_F(Route53Zone, MissingCredentialsFromTheTransportKeepTheirAdvice) {
  fakes::FakeTransport t;
  ecssd::testing::push_error(t, common::make_error(ErrorCode::kPermissionDenied,
                                                  "no AWS credentials: tried the environment, ~/.aws/credentials, "
                                                  "ECS, IMDS"));
  auto st = run(by_name(t, ZoneType::kAny)->init());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(st.error().message.find("ListHostedZonesByName"), std::string::npos);
  EXPECT_NE(st.error().message.find("tried the environment"), std::string::npos);
}

route53::HostedZone hosted(std::string id, bool private_zone) { return {std::move(id), "example.com.", private_zone}; }

TEST(Route53ChooseZone, TheAskedTypeAndWhatTheErrorsName) {
  using route53::choose_zone;
  const std::vector<route53::HostedZone> both = {hosted("ZPUB", false), hosted("ZPRIV", true)};
  auto any = choose_zone(both, "example.com", ZoneType::kAny);
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->id, "ZPRIV") << "any prefers the private zone";
  EXPECT_TRUE(any->private_zone);
  EXPECT_EQ(any->name, "example.com");
  auto pub = choose_zone(both, "example.com", ZoneType::kPublic);
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(pub->id, "ZPUB");
  EXPECT_FALSE(pub->private_zone);

  auto only_public = choose_zone({hosted("ZPUB", false)}, "example.com", ZoneType::kAny);
  ASSERT_TRUE(only_public.ok());
  EXPECT_EQ(only_public->id, "ZPUB");

  auto none = choose_zone({}, "example.com", ZoneType::kAny);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(none.error().message,
            "no hosted zone named example.com is visible to these credentials (create it, or fix --zone)");

  auto no_private = choose_zone({hosted("ZPUB", false)}, "example.com", ZoneType::kPrivate);
  ASSERT_FALSE(no_private.ok());
  EXPECT_EQ(no_private.error().message,
            "no private hosted zone named example.com; found public zone ZPUB (pass --zone-type public or --zone-id)");
  auto no_public = choose_zone({}, "example.com", ZoneType::kPublic);
  ASSERT_FALSE(no_public.ok());
  EXPECT_EQ(no_public.error().message,
            "no public hosted zone named example.com is visible to these credentials (create it, or fix --zone or "
            "--zone-type)");

  auto two = choose_zone({hosted("ZA", true), hosted("ZB", true), hosted("ZPUB", false)}, "example.com",
                         ZoneType::kAny);
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(two.error().message, "2 private hosted zones are named example.com (ZA, ZB): pass --zone-id");
}

TEST(Route53ChooseZone, ZoneIdsAndTypesAsGiven) {
  EXPECT_EQ(route53::bare_zone_id("/hostedzone/Z123"), "Z123");
  EXPECT_EQ(route53::bare_zone_id("Z123"), "Z123");
  EXPECT_EQ(route53::bare_zone_id(""), "");
  for (ZoneType t : {ZoneType::kPrivate, ZoneType::kPublic, ZoneType::kAny}) {
    EXPECT_EQ(parse_zone_type(route53::to_string(t)), t);
  }
  EXPECT_FALSE(parse_zone_type("Private"));
  EXPECT_FALSE(parse_zone_type(""));
}

TEST(Route53FindZone, NamesTheZoneAsTheClientsTargetSays) {
  ecssd::testing::Route53TestEnv env;
  fakes::FakeTransport t;
  t.push(403, fixture("route53/doc_error_access_denied.xml"));
  route53::Client client(t, endpoint(), route53::RetryPolicy{.seed = 1}, std::chrono::seconds(10), env.time,
                         env.scope());
  client.set_target("example.com", "zone example.com");
  route53::ZoneQuery by_name{.zone = "example.com"};
  auto found = env.run(route53::find_zone(client, std::move(by_name)));
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(found.error().message.find("route53:ListHostedZonesByName on zone example.com;"), std::string::npos)
      << found.error().message;

  t.push(200, fixture("route53/moto_get_hosted_zone.xml"));
  route53::ZoneQuery query{.zone_id = std::string("/hostedzone/") + kMotoZoneId};
  auto by_id = env.run(route53::find_zone(client, std::move(query)));
  ASSERT_TRUE(by_id.ok()) << by_id.error().describe();
  EXPECT_EQ(by_id->id, kMotoZoneId);
  EXPECT_EQ(by_id->name, "example.com");
  EXPECT_TRUE(by_id->private_zone);
  EXPECT_EQ(t.requests().back().url, std::string("https://route53.amazonaws.com/2013-04-01/hostedzone/") + kMotoZoneId);
}

}  // namespace
}  // namespace ecssd::provider
