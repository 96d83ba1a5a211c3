// The name policy (--allow-name, --deny-name) and the record builder applying it.
#include "model/name_policy.h"

#include <gtest/gtest.h>

#include "model/record_builder.h"

namespace ecssd::model {
namespace {

constexpr std::string_view kZone = "sd.internal";

NamePolicy policy(std::vector<std::string> allow, std::vector<std::string> deny = {}) {
  auto p = NamePolicy::make(allow, deny, kZone);
  EXPECT_TRUE(p.ok()) << p.error().message;
  return p.ok() ? std::move(p).value() : NamePolicy{};
}

bool allowed(const NamePolicy& p, std::string_view name) { return !p.refuses(name).has_value(); }

TEST(NamePolicy, EmptyAllowsEverything) {
  NamePolicy p;
  EXPECT_TRUE(p.empty());
  EXPECT_TRUE(allowed(p, "anything.sd.internal"));
  EXPECT_EQ(p.describe(), "");
}

TEST(NamePolicy, GlobsStayInsideOneLabel) {
  auto p = policy({"team-a-*", "db?"});
  EXPECT_TRUE(allowed(p, "team-a-web.sd.internal"));
  EXPECT_TRUE(allowed(p, "team-a-.sd.internal"));  // '*' may match nothing
  EXPECT_TRUE(allowed(p, "db1.sd.internal"));
  EXPECT_FALSE(allowed(p, "db12.sd.internal"));   // '?' is exactly one character
  EXPECT_FALSE(allowed(p, "db.sd.internal"));
  // '*' never crosses a dot: team-a-x.payments is under payments, not team-a's.
  EXPECT_FALSE(allowed(p, "team-a-x.payments.sd.internal"));
  EXPECT_FALSE(allowed(p, "web.sd.internal"));
}

TEST(NamePolicy, ALeadingStarLabelIsADnsWildcard) {
  auto p = policy({"*.team-a"});
  EXPECT_TRUE(allowed(p, "web.team-a.sd.internal"));
  EXPECT_TRUE(allowed(p, "x.web.team-a.sd.internal"));  // one or more labels (RFC 4592)
  EXPECT_FALSE(allowed(p, "team-a.sd.internal"));       // not the name itself
  EXPECT_FALSE(allowed(p, "web.team-b.sd.internal"));
  auto all = policy({"*"});
  EXPECT_TRUE(allowed(all, "web.sd.internal"));
  EXPECT_TRUE(allowed(all, "_web._tcp.sd.internal"));
  EXPECT_FALSE(allowed(all, "sd.internal"));
  auto inner = policy({"web.*.team-a"});  // '*' in the middle: one label
  EXPECT_TRUE(allowed(inner, "web.eu.team-a.sd.internal"));
  EXPECT_FALSE(allowed(inner, "web.eu.west.team-a.sd.internal"));
}

TEST(NamePolicy, CaseAndTrailingDotsDoNotMatter) {
  auto p = policy({"Team-A-*"});
  EXPECT_TRUE(allowed(p, "team-a-web.sd.internal"));
  EXPECT_TRUE(allowed(p, "TEAM-A-WEB.SD.INTERNAL."));
  auto d = policy({}, {"PAYMENTS"});
  EXPECT_FALSE(allowed(d, "payments.sd.internal"));
  EXPECT_FALSE(allowed(d, "Payments.Sd.Internal"));
}

TEST(NamePolicy, PatternsAreRelativeToTheZoneUnlessTheyEndInADotOrTheZone) {
  for (const char* written : {"web-*", "web-*.sd.internal", "web-*.SD.Internal.", "web-*.sd.internal."}) {
    auto p = policy({written});
    EXPECT_TRUE(allowed(p, "web-1.sd.internal")) << written;
    EXPECT_FALSE(allowed(p, "web-1.other.sd.internal")) << written;
  }
  auto absolute = policy({"*.internal."});  // its leading wildcard covers the zone's own labels
  EXPECT_TRUE(allowed(absolute, "web.sd.internal"));
}

TEST(NamePolicy, DenyWinsAndTheRuleIsNamedAsWritten) {
  auto p = policy({"team-a-*", "shared-*"}, {"team-a-admin", "*-debug"});
  EXPECT_TRUE(allowed(p, "team-a-web.sd.internal"));
  EXPECT_EQ(p.refuses("team-a-admin.sd.internal"), "--deny-name team-a-admin");
  EXPECT_EQ(p.refuses("team-a-web-debug.sd.internal"), "--deny-name *-debug");
  EXPECT_EQ(p.refuses("payments.sd.internal"), "--allow-name: no pattern matches (team-a-*, shared-*)");
  EXPECT_EQ(p.describe(), "allow=team-a-*,shared-* deny=team-a-admin,*-debug");
  auto deny_only = policy({}, {"payments*"});
  EXPECT_TRUE(allowed(deny_only, "web.sd.internal"));
  EXPECT_FALSE(allowed(deny_only, "payments-api.sd.internal"));
}

TEST(NamePolicy, BadPatternsAreRefusedNamingTheFlag) {
  struct Case {
    std::vector<std::string> allow, deny;
    std::string message;
  };
  for (const auto& c : std::vector<Case>{
           {{""}, {}, "--allow-name \"\": empty pattern"},
           {{"a..b"}, {}, "--allow-name \"a..b\": empty label"},
           {{}, {"web[12]"}, "--deny-name \"web[12]\": '[' is in no DNS name"},
           {{"web.example.com."}, {}, "--allow-name \"web.example.com.\": the name is not in the zone sd.internal"},
           {{"*.other."}, {}, "--allow-name \"*.other.\": the pattern can match no name in the zone"},
           {{std::string(64, 'a')}, {}, "a label is longer than 63 octets"},
       }) {
    auto p = NamePolicy::make(c.allow, c.deny, kZone);
    ASSERT_FALSE(p.ok()) << c.message;
    EXPECT_EQ(p.error().code, common::ErrorCode::kInvalidArgument);
    EXPECT_NE(p.error().message.find(c.message), std::string::npos) << p.error().message;
  }
  auto spaced = NamePolicy::make({" web-* "}, {}, kZone);  // as from ECSSD_ALLOW_NAME="a, b"
  ASSERT_TRUE(spaced.ok());
  EXPECT_TRUE(allowed(*spaced, "web-1.sd.internal"));
}

// Several --zone: a relative pattern stands in every zone, one ending with a
// zone (or a dot) for that name only; a pattern in none of them is refused.
TEST(NamePolicy, SeveralZonesEachGetTheRelativePatterns) {
  const std::vector<std::string> zones = {"a.internal", "b.internal"};
  auto p = NamePolicy::make({"web-*", "api.b.internal"}, {"web-admin"}, zones);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_TRUE(allowed(*p, "web-1.a.internal"));
  EXPECT_TRUE(allowed(*p, "web-1.b.internal"));
  EXPECT_TRUE(allowed(*p, "api.b.internal"));
  EXPECT_FALSE(allowed(*p, "api.a.internal"));  // written with its zone: that name only
  EXPECT_EQ(p->refuses("web-admin.a.internal"), "--deny-name web-admin");
  EXPECT_EQ(p->refuses("web-admin.b.internal"), "--deny-name web-admin");  // the deny list guards both zones
  EXPECT_FALSE(allowed(*p, "db.b.internal"));

  auto outside = NamePolicy::make({"web.c.internal."}, {}, zones);
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.error().message.find("not in any of the zones a.internal, b.internal"), std::string::npos)
      << outside.error().message;
  auto wildcard = NamePolicy::make({"*.b.internal."}, {}, zones);  // absolute, in the second zone
  ASSERT_TRUE(wildcard.ok());
  EXPECT_TRUE(allowed(*wildcard, "x.b.internal"));
  EXPECT_FALSE(allowed(*wildcard, "x.a.internal"));
}

TEST(NamePolicy, MatchingIsLinearOnHostilePatterns) {
  // Backtracking only to the last '*': this would take ages with naive recursion.
  auto p = policy({"*a*a*a*a*a*a*a*a*a*a*b"});
  std::string name(62, 'a');
  name.append(".sd.internal");
  EXPECT_FALSE(allowed(p, name));
}

Service service(std::string name, uint16_t port) {
  Service s;
  s.container_id = "079ff28a82056e988f45de27f762b28789d9e293bb79ad61d041cc98b37b1061";
  s.container_name = "multi";
  s.name = std::move(name);
  s.container_port = port;
  s.host_port = static_cast<uint16_t>(port + 10000);
  return s;
}

RecordConfig config(RecordMode mode, NamePolicy names) {
  RecordConfig c;
  c.zone = std::string(kZone);
  c.mode = mode;
  c.host = {.owner_id = "host1", .host_name = "host1.sd.internal", .host_ip = "10.0.0.5"};
  c.names = std::move(names);
  return c;
}

TEST(NamePolicyInRecordBuilder, ARefusedServiceIsNotBuiltAndTheOthersAre) {
  auto out = build_records({service("web", 80), service("payments", 81)},
                           config(RecordMode::kCname, policy({}, {"payments"})));
  ASSERT_EQ(out.refused.size(), 1u);
  EXPECT_EQ(out.refused[0], (Refusal{service("web", 80).container_id, "multi", "SERVICE_81_NAME",
                                     "payments.sd.internal", "--deny-name payments"}));
  EXPECT_TRUE(out.rejected.empty());  // a refusal is not a malformed declaration
  std::vector<std::string> names;
  for (const auto& r : out.records) names.push_back(r.name);
  EXPECT_EQ(names, (std::vector<std::string>{"host1.sd.internal", "web.sd.internal"}));
}

TEST(NamePolicyInRecordBuilder, SrvModeChecksTheSrvNameWhateverTheSpelling) {
  // "web" and "_web._tcp" make the same record in srv mode: a deny of one is a deny of both.
  auto c = config(RecordMode::kSrv, policy({}, {"_web._tcp"}));
  auto out = build_records({service("web", 80), service("_web._tcp", 81), service("api", 82)}, c);
  ASSERT_EQ(out.refused.size(), 2u);
  EXPECT_EQ(out.refused[0].name, "_web._tcp.sd.internal");
  EXPECT_EQ(out.refused[1].name, "_web._tcp.sd.internal");
  bool api = false;
  for (const auto& r : out.records) api = api || r.name == "_api._tcp.sd.internal";
  EXPECT_TRUE(api);
}

TEST(NamePolicyInRecordBuilder, ContainerTargetsBuildNothingForARefusedName) {
  auto c = config(RecordMode::kCname, policy({"web"}));
  c.target = TargetMode::kContainer;
  Service s = service("other", 80);
  s.container_ip = "172.17.0.3";
  auto out = build_records({s}, c);
  EXPECT_EQ(out.refused.size(), 1u);
  EXPECT_TRUE(out.records.empty());  // not even the container's own A record
}

TEST(NamePolicyInRecordBuilder, AMalformedNameIsARejectionNotARefusal) {
  auto out = build_records({service("bad_name!", 80)}, config(RecordMode::kCname, policy({"web"})));
  EXPECT_TRUE(out.refused.empty());
  EXPECT_EQ(out.rejected.size(), 1u);
}

}  // namespace
}  // namespace ecssd::model
