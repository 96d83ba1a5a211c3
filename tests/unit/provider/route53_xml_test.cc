// Route 53 XML: request bodies against golden files, and responses recorded
// from moto_server or written from the API reference (tests/fixtures/route53).
#include "provider/route53/route53_xml.h"

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "model/rdata.h"
#include "provider/route53/route53_codec.h"
#include "unit/provider/route53_test_util.h"

namespace ecssd::provider::route53 {
namespace {

using ecssd::testing::fixture;

// Compares with tests/fixtures/route53/requests/<name>; ECSSD_UPDATE_GOLDEN=1
// rewrites the file instead (then review the diff).
void expect_golden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(ECSSD_FIXTURES) + "/route53/requests/" + name;
  if (std::getenv("ECSSD_UPDATE_GOLDEN")) {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  EXPECT_EQ(fixture("route53/requests/" + name), actual) << "golden file " << path;
}

model::Record weighted(std::string name, model::RecordType type, std::string value, std::string set_id) {
  model::Record r;
  r.name = std::move(name);
  r.type = type;
  r.ttl = 10;
  r.values = {std::move(value)};
  r.set_identifier = std::move(set_id);
  r.weight = 1;
  return r;
}

TEST(Route53Xml, CreateOfAWeightedCnameAndItsCompanionMatchesGolden) {
  auto cname = to_record_set(weighted("web.example.com", model::RecordType::kCNAME, "host-a.example.com",
                                      "ecssd:host-a:0123456789ab:80-tcp"));
  // Quotes, a backslash, a tab and XML's own special characters in a label.
  auto txt = to_record_set(weighted("cname._ecssd.web.example.com", model::RecordType::kTXT,
                                    model::txt_encode({"heritage=ecssd", "set=ecssd:host-a:0123456789ab:80-tcp",
                                                       "value=host-a.example.com", "owner=host-a",
                                                       "container-name=a \"b\" \\ <c> & d\te"}),
                                    "ecssd:host-a:0123456789ab:80-tcp"));
  ASSERT_TRUE(cname.ok());
  ASSERT_TRUE(txt.ok());
  expect_golden("create_weighted_cname.xml",
                build_change_batch({{Action::kCreate, *cname}, {Action::kCreate, *txt}}, "ecssd"));
}

TEST(Route53Xml, UpdateAsDeleteAndCreateKeepsHealthCheckMatchesGolden) {
  RecordSet old_srv{.name = "_web._tcp.example.com.",
                    .type = "SRV",
                    .set_identifier = "ecssd:host-a:0123456789ab:80-tcp",
                    .weight = 1,
                    .ttl = 10,
                    .values = {"1 1 18081 host-a.example.com."},
                    .health_check_id = "abcdef11-2222-3333-4444-555555fedcba"};
  RecordSet new_srv = old_srv;
  new_srv.ttl = 30;
  new_srv.values = {"1 1 18082 host-a.example.com."};
  RecordSet host{.name = "host-a.example.com.", .type = "A", .set_identifier = "ecssd:host-a:host", .weight = 1,
                 .ttl = 10, .values = {"10.0.0.1"}};
  expect_golden("update_srv.xml", build_change_batch({{Action::kDelete, old_srv},
                                                      {Action::kCreate, new_srv},
                                                      {Action::kUpsert, host}},
                                                     ""));
}

TEST(Route53Xml, ParsesHostedZonesByNameRecordedFromMoto) {
  auto page = parse_hosted_zones_by_name(fixture("route53/moto_list_hosted_zones_by_name.xml"));
  ASSERT_TRUE(page.ok()) << page.error().describe();
  ASSERT_EQ(page->zones.size(), 2u);
  EXPECT_EQ(page->zones[0].name, "example.com.");
  EXPECT_FALSE(page->zones[0].private_zone);
  EXPECT_TRUE(page->zones[1].private_zone);
  EXPECT_EQ(page->zones[1].id.find('/'), std::string::npos) << "the /hostedzone/ prefix is stripped";
  EXPECT_FALSE(page->truncated);
}

TEST(Route53Xml, ParsesHostedZonesPaginationMarkers) {
  auto page = parse_hosted_zones_by_name(fixture("route53/doc_list_hosted_zones_page1.xml"));
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_dns_name, "example.com.");
  EXPECT_EQ(page->next_hosted_zone_id, "Z2PRIVATE0000000002");
}

TEST(Route53Xml, ParsesGetHostedZoneRecordedFromMoto) {
  auto zone = parse_get_hosted_zone(fixture("route53/moto_get_hosted_zone.xml"));
  ASSERT_TRUE(zone.ok()) << zone.error().describe();
  EXPECT_EQ(zone->name, "example.com.");
  EXPECT_TRUE(zone->private_zone);
  EXPECT_FALSE(zone->id.empty());
}

TEST(Route53Xml, ParsesRecordSetsRecordedFromMoto) {
  auto page = parse_record_sets(fixture("route53/moto_list_rrsets.xml"));
  ASSERT_TRUE(page.ok()) << page.error().describe();
  EXPECT_FALSE(page->truncated);
  ASSERT_EQ(page->record_sets.size(), 11u);
  const RecordSet* failover = nullptr;
  const RecordSet* alias = nullptr;
  const RecordSet* blue = nullptr;
  for (const auto& rs : page->record_sets) {
    if (rs.name == "api.example.com.") failover = &rs;
    if (rs.name == "www.example.com.") alias = &rs;
    if (rs.set_identifier == "manual-blue") blue = &rs;
  }
  ASSERT_TRUE(failover && alias && blue);
  EXPECT_EQ(failover->unmanaged, "failover record");
  EXPECT_EQ(failover->health_check_id, "abcdef11-2222-3333-4444-555555fedcba");
  EXPECT_EQ(alias->unmanaged, "alias record");
  EXPECT_EQ(alias->alias_dns_name, "d111111abcdef8.cloudfront.net.");
  EXPECT_TRUE(alias->values.empty());
  EXPECT_EQ(blue->weight, 5u);
  EXPECT_EQ(blue->ttl, 60u);
  EXPECT_EQ(blue->values, std::vector<std::string>{"blue.example.org"});
  EXPECT_TRUE(blue->unmanaged.empty());
}

TEST(Route53Xml, ParsesRecordSetPagesWithAndWithoutIdentifier) {
  auto moto = parse_record_sets(fixture("route53/moto_list_rrsets_page1.xml"));
  ASSERT_TRUE(moto.ok());
  EXPECT_TRUE(moto->truncated);
  EXPECT_EQ(moto->record_sets.size(), 4u);
  EXPECT_EQ(moto->next_name, "host-a.example.com.");
  EXPECT_EQ(moto->next_type, "A");
  EXPECT_EQ(moto->next_identifier, "");

  auto doc = parse_record_sets(fixture("route53/doc_list_rrsets_page2.xml"));
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->next_name, "web.example.com.");
  EXPECT_EQ(doc->next_type, "CNAME");
  EXPECT_EQ(doc->next_identifier, "ecssd:host-a:0123456789ab:80-tcp");
  EXPECT_EQ(doc->record_sets[1].unmanaged, "latency record");
}

TEST(Route53Xml, ParsesChangeInfo) {
  auto info = parse_change_info(fixture("route53/moto_change_response.xml"));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->id, "/change/C2682N5HXP0BZ4");
  EXPECT_EQ(info->status, "INSYNC");
}

TEST(Route53Xml, ParsesDocumentedErrors) {
  struct Case {
    const char* file;
    const char* code;
    const char* message_start;
  };
  for (const Case& c : {Case{"doc_error_throttling.xml", "Throttling", "Rate exceeded"},
                        Case{"doc_error_prior_request_not_complete.xml", "PriorRequestNotComplete", "The request"},
                        Case{"doc_error_access_denied.xml", "AccessDenied", "User: arn:aws:sts::"},
                        Case{"doc_error_no_such_hosted_zone.xml", "NoSuchHostedZone", "No hosted zone"},
                        Case{"moto_error_no_such_hosted_zone.xml", "NoSuchHostedZone", "No hosted zone"},
                        Case{"moto_error_already_exists.xml", "InvalidChangeBatch", "Tried to create"}}) {
    ApiError e = parse_error(fixture(std::string("route53/") + c.file));
    EXPECT_EQ(e.code, c.code) << c.file;
    EXPECT_TRUE(e.message.starts_with(c.message_start)) << c.file << ": " << e.message;
    EXPECT_EQ(e.messages.size(), 1u) << c.file;
    EXPECT_FALSE(e.request_id.empty()) << c.file;
  }
}

TEST(Route53Xml, ParsesInvalidChangeBatchWithMessagesList) {
  ApiError e = parse_error(fixture("route53/doc_error_invalid_change_batch.xml"));
  EXPECT_EQ(e.code, "InvalidChangeBatch");
  ASSERT_EQ(e.messages.size(), 2u);
  EXPECT_NE(e.messages[0].find("set-identifier='ecssd:host-a:0123456789ab:80-tcp'"), std::string::npos);
  EXPECT_NE(e.messages[1].find("\\052.example.com."), std::string::npos);
  EXPECT_EQ(e.message, e.messages[0] + "; " + e.messages[1]);
}

TEST(Route53Xml, ErrorThatIsNoErrorDocumentKeepsAPrintableExcerpt) {
  ApiError e = parse_error("<html>\n<body>502 Bad Gateway</body></html>" + std::string(400, 'x'));
  EXPECT_EQ(e.code, "");
  EXPECT_EQ(e.message.size(), 200u);
  EXPECT_EQ(e.message.find('\n'), std::string::npos);
  EXPECT_TRUE(e.message.starts_with("<html> <body>502"));
}

TEST(Route53Xml, MalformedOrUnexpectedResponsesAreProtocolErrors) {
  auto truncated = parse_record_sets("<ListResourceRecordSetsResponse><ResourceRecordSets>");
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().code, common::ErrorCode::kProtocol);
  EXPECT_NE(truncated.error().message.find("malformed XML"), std::string::npos);

  auto wrong_root = parse_record_sets(fixture("route53/moto_change_response.xml"));
  ASSERT_FALSE(wrong_root.ok());
  EXPECT_NE(wrong_root.error().message.find("expected <ListResourceRecordSetsResponse>"), std::string::npos);

  auto bad_ttl = parse_record_sets(
      "<ListResourceRecordSetsResponse><ResourceRecordSets><ResourceRecordSet><Name>a.</Name><Type>A</Type>"
      "<TTL>ten</TTL></ResourceRecordSet></ResourceRecordSets></ListResourceRecordSetsResponse>");
  ASSERT_FALSE(bad_ttl.ok());
  EXPECT_EQ(bad_ttl.error().code, common::ErrorCode::kProtocol);

  auto no_marker = parse_record_sets(
      "<ListResourceRecordSetsResponse><IsTruncated>true</IsTruncated></ListResourceRecordSetsResponse>");
  EXPECT_FALSE(no_marker.ok());

  EXPECT_FALSE(parse_hosted_zones_by_name("").ok());
  EXPECT_FALSE(parse_get_hosted_zone("<GetHostedZoneResponse/>").ok());
  EXPECT_FALSE(parse_change_info("<ChangeResourceRecordSetsResponse/>").ok());
}

}  // namespace
}  // namespace ecssd::provider::route53
