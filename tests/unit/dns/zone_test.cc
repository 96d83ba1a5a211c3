// Building snapshots: what is accepted, what is refused and why, and how much
// memory a realistic zone takes.
#include "dns/zone.h"

#include <gtest/gtest.h>

#include "dns/answer.h"
#include "unit/dns/dns_test_util.h"

namespace ecssd::dns {
namespace {

using model::Record;
using model::RecordType;

Record rec(std::string name, RecordType type, std::vector<std::string> values, std::string set = "",
           std::optional<uint32_t> weight = 1) {
  Record r;
  r.name = std::move(name);
  r.type = type;
  r.ttl = 10;
  r.values = std::move(values);
  r.set_identifier = std::move(set);
  r.weight = weight;
  return r;
}

ZoneOptions zone_options() {
  ZoneOptions o;
  o.zone = "svc.test";
  return o;
}

std::string build_error(std::vector<Record> records, ZoneOptions o = zone_options()) {
  auto z = build_zone(o, records, 1);
  if (z.ok()) return "";
  EXPECT_EQ(z.error().code, common::ErrorCode::kInvalidArgument);
  EXPECT_FALSE(z.error().transient);
  return z.error().message;
}

TEST(ZoneOptionsTest, DefaultsAndValidation) {
  EXPECT_TRUE(validate(zone_options()).ok());
  ZoneOptions bad = zone_options();
  bad.zone = "";
  EXPECT_FALSE(validate(bad).ok());
  bad.zone = "bad_zone..test";
  EXPECT_FALSE(validate(bad).ok());
  bad = zone_options();
  bad.ns_name = "a..b";
  EXPECT_FALSE(validate(bad).ok());
  bad = zone_options();
  bad.hostmaster = std::string(300, 'h') + "@example.org";
  EXPECT_FALSE(validate(bad).ok());

  auto z = build_zone(zone_options(), {}, 42);
  ASSERT_TRUE(z.ok()) << z.error().describe();
  EXPECT_EQ((*z)->zone(), "svc.test");
  EXPECT_EQ((*z)->serial(), 42u);
  EXPECT_EQ((*z)->name_count(), 1u);
  EXPECT_EQ((*z)->rr_count(), 2u);  // SOA and NS
  auto out = answer(z->get(), testing::bytes(testing::make_query("svc.test", KNOT_RRTYPE_SOA)), {});
  ASSERT_EQ(out.size(), 1u);
  auto r = testing::parse_response(out[0]);
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(r.answer[0].data, "ns.svc.test. hostmaster.svc.test. 42 3600 600 86400 5");
}

TEST(ZoneOptionsTest, MailboxWithDotsInTheLocalPart) {
  ZoneOptions o = zone_options();
  o.hostmaster = "dns.admin@Example.org.";
  auto z = build_zone(o, {}, 1);
  ASSERT_TRUE(z.ok()) << z.error().describe();
  auto out = answer(z->get(), testing::bytes(testing::make_query("svc.test", KNOT_RRTYPE_SOA)), {});
  auto r = testing::parse_response(out.at(0));
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(r.answer[0].data, "ns.svc.test. dns\\.admin.example.org. 1 3600 600 86400 5");
}

TEST(BuildZoneTest, RejectsRecordsOutsideTheZoneNamingThem) {
  std::string e = build_error({rec("web.other.test", RecordType::kA, {"10.0.0.1"})});
  EXPECT_NE(e.find("web.other.test"), std::string::npos) << e;
  EXPECT_NE(e.find("outside the zone"), std::string::npos) << e;
  EXPECT_NE(build_error({rec("xsvc.test", RecordType::kA, {"10.0.0.1"})}), "");
}

TEST(BuildZoneTest, RejectsBadValues) {
  EXPECT_NE(build_error({rec("a.svc.test", RecordType::kA, {"10.0.0.256"})}).find("not an IPv4 address"),
            std::string::npos);
  EXPECT_NE(build_error({rec("a.svc.test", RecordType::kA, {"fd00::1"})}), "");
  EXPECT_NE(build_error({rec("a.svc.test", RecordType::kAAAA, {"10.0.0.1"})}).find("IPv6"), std::string::npos);
  EXPECT_NE(build_error({rec("a.svc.test", RecordType::kSRV, {"1 1 port host.svc.test"})}), "");
  EXPECT_NE(build_error({rec("a.svc.test", RecordType::kSRV, {"1 1 70000 host.svc.test"})}), "");
  EXPECT_NE(build_error({rec("a.svc.test", RecordType::kTXT, {"\"unterminated"})}), "");
  EXPECT_NE(build_error({rec("a.svc.test", RecordType::kCNAME, {"a..b"})}), "");
  EXPECT_NE(build_error({rec("a.svc.test", RecordType::kCNAME, {"x.svc.test", "y.svc.test"})}), "");
  EXPECT_NE(build_error({rec("a.svc.test", RecordType::kA, {})}).find("no values"), std::string::npos);
  EXPECT_NE(build_error({rec(std::string(64, 'a') + ".svc.test", RecordType::kA, {"10.0.0.1"})}), "");
}

TEST(BuildZoneTest, RejectsApexDataItGeneratesItself) {
  EXPECT_NE(build_error({rec("svc.test", RecordType::kNS, {"ns.example.org"})}).find("generated"), std::string::npos);
  EXPECT_NE(build_error({rec("svc.test", RecordType::kSOA, {"a.b c.d 1 2 3 4 5"})}), "");
  EXPECT_NE(build_error({rec("sub.svc.test", RecordType::kNS, {"ns.example.org"})}), "");
  EXPECT_NE(build_error({rec("svc.test", RecordType::kCNAME, {"example.org"})}).find("apex"), std::string::npos);
}

TEST(BuildZoneTest, RejectsACnameBesideOtherData) {
  std::string e = build_error({rec("web.svc.test", RecordType::kCNAME, {"h.svc.test"}, "a"),
                               rec("web.svc.test", RecordType::kTXT, {"\"x\""}, "b")});
  EXPECT_NE(e.find("web.svc.test"), std::string::npos) << e;
  EXPECT_NE(e.find("CNAME"), std::string::npos) << e;
}

TEST(BuildZoneTest, AcceptsApexAddressesAndUnderscoreNames) {
  auto z = build_zone(zone_options(),
                      {rec("svc.test", RecordType::kA, {"10.0.0.1"}),
                       rec("_http._tcp.svc.test", RecordType::kSRV, {"0 5 80 Web.svc.test."}),
                       rec("t.svc.test", RecordType::kTXT, {"\"a b\" \"c\\\"d\" \"\\255\""})},
                      1);
  ASSERT_TRUE(z.ok()) << z.error().describe();
  // apex, _http._tcp, _tcp (empty non-terminal), t
  EXPECT_EQ((*z)->name_count(), 4u);
  EXPECT_EQ((*z)->rr_count(), 5u);
}

TEST(BuildZoneTest, WeightZeroCnamesAreServedOnlyWhenAllAreZero) {
  auto ask_targets = [](std::vector<Record> rs) {
    auto z = build_zone(zone_options(), rs, 1);
    EXPECT_TRUE(z.ok());
    std::set<std::string> targets;
    for (int i = 0; i < 6; ++i) {
      auto out = answer(z->get(), testing::bytes(testing::make_query("web.svc.test", KNOT_RRTYPE_CNAME)), {});
      auto r = testing::parse_response(out.at(0));
      for (const auto& rr : r.answer) targets.insert(rr.data);
    }
    return targets;
  };
  EXPECT_EQ(ask_targets({rec("web.svc.test", RecordType::kCNAME, {"a.svc.test"}, "1", 0),
                         rec("web.svc.test", RecordType::kCNAME, {"b.svc.test"}, "2", 1)}),
            (std::set<std::string>{"b.svc.test."}));
  EXPECT_EQ(ask_targets({rec("web.svc.test", RecordType::kCNAME, {"a.svc.test"}, "1", 0),
                         rec("web.svc.test", RecordType::kCNAME, {"b.svc.test"}, "2", 0)}),
            (std::set<std::string>{"a.svc.test.", "b.svc.test."}));
  EXPECT_EQ(ask_targets({rec("web.svc.test", RecordType::kCNAME, {"a.svc.test"}, "1", std::nullopt)}),
            (std::set<std::string>{"a.svc.test."}));
}

TEST(BuildZoneTest, CnameLoopsEndWithoutHanging) {
  auto z = build_zone(zone_options(),
                      {rec("a.svc.test", RecordType::kCNAME, {"b.svc.test"}),
                       rec("b.svc.test", RecordType::kCNAME, {"a.svc.test"})},
                      1);
  ASSERT_TRUE(z.ok()) << z.error().describe();
  auto out = answer(z->get(), testing::bytes(testing::make_query("a.svc.test", KNOT_RRTYPE_A)), {});
  auto r = testing::parse_response(out.at(0));
  EXPECT_EQ(r.rcode, KNOT_RCODE_NOERROR);
  EXPECT_EQ(r.answer.size(), 2u);
}

TEST(BuildZoneTest, AnswersThatCannotFitInAMessageAreRefused) {
  Record huge = rec("huge.svc.test", RecordType::kTXT, {});
  for (int i = 0; i < 300; ++i) huge.values.push_back("\"" + std::string(250, 'a' + i % 26) + std::to_string(i) + "\"");
  EXPECT_NE(build_error({huge}).find("does not fit"), std::string::npos);
}

TEST(CheckRecordTest, MatchesBuildRules) {
  EXPECT_TRUE(check_record(rec("a.svc.test", RecordType::kA, {"10.0.0.1"}), "svc.test.").ok());
  EXPECT_FALSE(check_record(rec("a.other", RecordType::kA, {"10.0.0.1"}), "svc.test").ok());
  EXPECT_FALSE(check_record(rec("a.svc.test", RecordType::kA, {"x"}), "svc.test").ok());
  EXPECT_FALSE(check_record(rec("svc.test", RecordType::kNS, {"ns.x"}), "svc.test").ok());
}

TEST(CanonicalRecordTest, RendersValuesAsTheyAreListedBack) {
  auto c = canonical_record(rec("Web.SVC.test.", RecordType::kAAAA, {"FD00:0:0::1"}, "s"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->name, "web.svc.test");
  EXPECT_EQ(c->values, std::vector<std::string>{"fd00::1"});
  EXPECT_EQ(c->set_identifier, "s");
  auto srv = canonical_record(rec("_a._tcp.svc.test", RecordType::kSRV, {"1  2 3 Host.SVC.test."}));
  ASSERT_TRUE(srv.ok());
  EXPECT_EQ(srv->values, std::vector<std::string>{"1 2 3 host.svc.test"});
  auto txt = canonical_record(rec("t.svc.test", RecordType::kTXT, {"bare \"quoted x\""}));
  ASSERT_TRUE(txt.ok());
  EXPECT_EQ(txt->values, std::vector<std::string>{"\"bare\" \"quoted x\""});
  EXPECT_FALSE(canonical_record(rec("t.svc.test", RecordType::kA, {"nope"})).ok());
}

// The agent's memory goal is 20 MB RSS with 500 services: the snapshot of
// such a zone (cname mode: a CNAME, its companion TXT, host records) must be small.
TEST(ZoneMemoryTest, FiveHundredServicesFitInAFewHundredKilobytes) {
  std::vector<Record> rs;
  for (int h = 0; h < 20; ++h) {
    rs.push_back(rec("host" + std::to_string(h) + ".svc.test", RecordType::kA, {"10.0.1." + std::to_string(h)}));
  }
  for (int s = 0; s < 500; ++s) {
    std::string name = "service-" + std::to_string(s) + ".svc.test";
    std::string set = "ecssd:owner-" + std::to_string(s % 20) + ":0123456789ab:80-tcp";
    rs.push_back(rec(name, RecordType::kCNAME, {"host" + std::to_string(s % 20) + ".svc.test"}, set));
    rs.push_back(rec("cname._ecssd." + name, RecordType::kTXT,
                     {"\"heritage=ecssd\" \"set=" + set + "\" \"value=host.svc.test\" \"owner=owner\" "
                      "\"container=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\" "
                      "\"service=web\" \"port=80/tcp\" \"addr=10.0.1.1:18081\" \"check=tcp\" \"started=1700000000\""},
                     set));
  }
  auto z = build_zone(zone_options(), rs, 1);
  ASSERT_TRUE(z.ok()) << z.error().describe();
  size_t bytes = (*z)->memory_bytes();
  std::printf("500 services: %zu names, %zu RRs, ~%zu KiB\n", (*z)->name_count(), (*z)->rr_count(), bytes / 1024);
  EXPECT_LT(bytes, 2u * 1024 * 1024);
}

}  // namespace
}  // namespace ecssd::dns
