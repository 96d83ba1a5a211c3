// model::Record <-> Route 53 ResourceRecordSet: names, TXT escapes, canonical
// forms, and the records ecssd must list but never change.
#include "provider/route53/route53_codec.h"

#include <gtest/gtest.h>

#include "model/rdata.h"

namespace ecssd::provider::route53 {
namespace {

using model::RecordType;

TEST(Route53Codec, DecodesNameEscapesAsRoute53ListsThem) {
  EXPECT_EQ(decode_name("\\052.Example.COM."), "*.example.com");
  EXPECT_EQ(decode_name("a\\100b.example.com."), "a@b.example.com");  // octal 100 = '@'
  EXPECT_EQ(decode_name("web.example.com"), "web.example.com");
  EXPECT_EQ(decode_name("x\\.y.example.com."), "x.y.example.com");
  EXPECT_EQ(decode_name("trailing\\"), "trailing\\");
}

TEST(Route53Codec, TxtUsesOctalEscapesOnTheWireAndDecimalInTheModel) {
  std::vector<std::string> strings = {"tab\there", "quote\"back\\slash", std::string("nul\0end", 7), "caf\xc3\xa9"};
  std::string wire = encode_txt(strings);
  EXPECT_EQ(wire, "\"tab\\011here\" \"quote\\\"back\\\\slash\" \"nul\\000end\" \"caf\\303\\251\"");
  auto back = decode_txt(wire);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(*back, strings);
  // The model's form of the same strings uses decimal escapes.
  EXPECT_EQ(model::txt_encode(strings), "\"tab\\009here\" \"quote\\\"back\\\\slash\" \"nul\\000end\" \"caf\\195\\169\"");
}

TEST(Route53Codec, TxtOfPrintableAsciiIsExactlyTheModelForm) {
  std::vector<std::string> strings = {"heritage=ecssd", "set=ecssd:h:0123456789ab:80-tcp", "a b"};
  EXPECT_EQ(encode_txt(strings), model::txt_encode(strings));
}

TEST(Route53Codec, TxtDecodeAcceptsBareStringsAndRejectsBadEscapes) {
  auto bare = decode_txt("v=spf1 \"-all\"");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(*bare, (std::vector<std::string>{"v=spf1", "-all"}));
  EXPECT_FALSE(decode_txt("\"\\089\"").ok()) << "8 and 9 are not octal digits";
  EXPECT_FALSE(decode_txt("\"\\477\"").ok()) << "octal 477 is over 255";
  EXPECT_FALSE(decode_txt("\"open").ok());
}

TEST(Route53Codec, ListedRecordSetsBecomeCanonicalRecords) {
  RecordSet cname{.name = "Web.Example.com.", .type = "CNAME", .set_identifier = "s", .weight = 3, .ttl = 60,
                  .values = {"Host-A.Example.com."}};
  auto r = to_record(cname);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "web.example.com");
  EXPECT_EQ(r->type, RecordType::kCNAME);
  EXPECT_EQ(r->values, std::vector<std::string>{"host-a.example.com"});
  EXPECT_EQ(r->weight, 3u);
  EXPECT_EQ(r->ttl, 60u);
  EXPECT_EQ(r->set_identifier, "s");
  EXPECT_TRUE(r->labels.empty());

  auto srv = to_record({.name = "_web._tcp.example.com.", .type = "SRV", .ttl = 10, .values = {"1 1 80 H.Example.com."}});
  ASSERT_TRUE(srv);
  EXPECT_EQ(srv->values, std::vector<std::string>{"1 1 80 h.example.com"});

  auto aaaa = to_record({.name = "h.example.com.", .type = "AAAA", .ttl = 10, .values = {"2001:DB8:0:0:0:0:0:1"}});
  ASSERT_TRUE(aaaa);
  EXPECT_EQ(aaaa->values, std::vector<std::string>{"2001:db8::1"});

  auto txt = to_record({.name = "t.example.com.", .type = "TXT", .ttl = 10, .values = {"\"a\\011b\" bare"}});
  ASSERT_TRUE(txt);
  EXPECT_EQ(txt->values, std::vector<std::string>{"\"a\\009b\" \"bare\""});
}

TEST(Route53Codec, AliasRecordsListTheirTargetAndUnknownTypesAreSkipped) {
  auto alias = to_record({.name = "www.example.com.", .type = "A", .alias_dns_name = "D1.cloudfront.net.",
                          .unmanaged = "alias record"});
  ASSERT_TRUE(alias);
  EXPECT_EQ(alias->values, std::vector<std::string>{"d1.cloudfront.net"});
  EXPECT_EQ(alias->ttl, 0u);
  EXPECT_FALSE(to_record({.name = "m.example.com.", .type = "MX", .ttl = 1, .values = {"10 mx.example.com."}}));
  EXPECT_FALSE(key_of(RecordSet{.name = "m.example.com.", .type = "CAA"}));
}

TEST(Route53Codec, RecordsBecomeRecordSetsWithAbsoluteTargets) {
  model::Record r;
  r.name = "_web._tcp.example.com";
  r.type = RecordType::kSRV;
  r.ttl = 10;
  r.values = {"1 1 18081 host-a.example.com"};
  r.set_identifier = "ecssd:h:0123456789ab:80-tcp";
  r.weight = 1;
  r.labels = {{"owner", "h"}};
  auto rs = to_record_set(r);
  ASSERT_TRUE(rs.ok());
  EXPECT_EQ(rs->name, "_web._tcp.example.com.");
  EXPECT_EQ(rs->type, "SRV");
  EXPECT_EQ(rs->values, std::vector<std::string>{"1 1 18081 host-a.example.com."});
  EXPECT_EQ(rs->weight, 1u);
  EXPECT_EQ(rs->ttl, 10u);

  r.type = RecordType::kTXT;
  r.values = {"\"unterminated"};
  auto bad = to_record_set(r);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, common::ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("_web._tcp.example.com"), std::string::npos);
}

TEST(Route53Codec, CanonicalIsWhatAListingWouldReturnAndKeepsLabels) {
  model::Record r;
  r.name = "web.example.com";
  r.type = RecordType::kCNAME;
  r.ttl = 10;
  r.values = {"Host-A.Example.com."};
  r.set_identifier = "s";
  r.weight = 1;
  r.labels = {{"owner", "h"}};
  model::Record c = canonical(r);
  EXPECT_EQ(c.values, std::vector<std::string>{"host-a.example.com"});
  EXPECT_EQ(c.labels, r.labels);
  // Round trip: what ecssd writes lists back equal to the canonical record.
  auto listed = to_record(*to_record_set(c));
  ASSERT_TRUE(listed);
  listed->labels = c.labels;
  EXPECT_EQ(*listed, c);

  model::Record txt;
  txt.name = "t.example.com";
  txt.type = RecordType::kTXT;
  txt.values = {"bare \"q\""};
  EXPECT_EQ(canonical(txt).values, std::vector<std::string>{"\"bare\" \"q\""});
}

TEST(Route53Codec, KeysMatchBetweenWireAndModel) {
  RecordSet rs{.name = "\\052.Example.com.", .type = "A", .set_identifier = "x"};
  model::Record r;
  r.name = "*.example.com";
  r.type = RecordType::kA;
  r.set_identifier = "x";
  EXPECT_EQ(key_of(rs), model::key_of(r));
}

}  // namespace
}  // namespace ecssd::provider::route53
