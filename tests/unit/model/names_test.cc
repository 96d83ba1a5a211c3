#include "model/names.h"

#include <gtest/gtest.h>

namespace ecssd::model {
namespace {

TEST(Names, NormalizeLowersAndStripsTheTrailingDot) {
  EXPECT_EQ(normalize_name("Web.Zone."), "web.zone");
  EXPECT_EQ(normalize_name("a"), "a");
}

// Found by fuzz/tsig_keys (regressions/key_name_ending_in_an_escaped_dot):
// the escaped dot of "a\." was stripped, so normalizing twice changed the name.
TEST(Names, NormalizeKeepsAnEscapedTrailingDot) {
  EXPECT_EQ(normalize_name("A\\."), "a\\.");
  EXPECT_EQ(normalize_name("a\\.."), "a\\.");
  EXPECT_EQ(normalize_name("a\\\\."), "a\\\\");  // an escaped backslash, then the root dot
  for (std::string_view n : {"a\\.", "a\\..", "a\\\\.", "x.", "\\\\\\.."}) {
    EXPECT_EQ(normalize_name(normalize_name(n)), normalize_name(n)) << n;
  }
  EXPECT_TRUE(names_equal("a\\..", "A\\."));
  EXPECT_FALSE(names_equal("a\\.", "a"));
}

TEST(Names, EmptyLabels) {
  for (std::string_view bad : {"a..b", ".a", "a..", "..", "a\\\\..b"}) EXPECT_TRUE(has_empty_label(bad)) << bad;
  for (std::string_view good : {"", ".", "a", "a.", "a.b.", "a\\..b", "a\\.", "_srv._tcp.zone"}) {
    EXPECT_FALSE(has_empty_label(good)) << good;
  }
}

TEST(Names, LabelRules) {
  EXPECT_TRUE(validate_label("web-1", false).ok());
  EXPECT_TRUE(validate_label(std::string(63, 'a'), false).ok());
  EXPECT_FALSE(validate_label(std::string(64, 'a'), false).ok());
  EXPECT_FALSE(validate_label("", false).ok());
  EXPECT_FALSE(validate_label("-web", false).ok());
  EXPECT_FALSE(validate_label("web-", false).ok());
  EXPECT_FALSE(validate_label("bad name!", false).ok());
  EXPECT_FALSE(validate_label("_tcp", false).ok());
  EXPECT_TRUE(validate_label("_tcp", true).ok());
  EXPECT_FALSE(validate_label("_", true).ok());
  EXPECT_FALSE(validate_label("a_b", true).ok());
}

TEST(Names, LabelErrorsNameTheOffendingCharacter) {
  auto s = validate_label("bad name!", false);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("' '"), std::string::npos) << s.error().message;
}

TEST(Names, ServiceFqdnPlacesTheNameInTheZone) {
  EXPECT_EQ(service_fqdn("Web", "servicediscovery.internal").value(), "web.servicediscovery.internal");
  EXPECT_EQ(service_fqdn("_calc._tcp", "z.internal").value(), "_calc._tcp.z.internal");
  EXPECT_EQ(service_fqdn("a.b", "z").value(), "a.b.z");
  EXPECT_FALSE(service_fqdn("web.", "z").ok());
  EXPECT_FALSE(service_fqdn("", "z").ok());
  EXPECT_FALSE(service_fqdn("a..b", "z").ok());
}

TEST(Names, ServiceFqdnEnforces253OctetsIncludingTheReserve) {
  std::string zone = "z.internal";  // 10
  std::string label(63, 'a');
  std::string name = label + "." + label + "." + label + "." + std::string(53, 'b');  // 245
  // 245 + 1 + 10 = 256 > 253
  EXPECT_FALSE(service_fqdn(name, zone).ok());
  std::string shorter = label + "." + label + "." + label + "." + std::string(50, 'b');  // 242 -> 253
  EXPECT_TRUE(service_fqdn(shorter, zone).ok());
  EXPECT_FALSE(service_fqdn(shorter, zone, 13).ok());
}

TEST(Names, InZone) {
  EXPECT_TRUE(in_zone("web.zone", "zone"));
  EXPECT_TRUE(in_zone("zone", "zone"));
  EXPECT_TRUE(in_zone("WEB.Zone.", "zone"));
  EXPECT_FALSE(in_zone("webzone", "zone"));
  EXPECT_FALSE(in_zone("zone.other", "zone"));
  EXPECT_FALSE(in_zone("one", "zone"));
}

TEST(Names, ZoneForIsTheLongestMatchingSuffix) {
  const std::vector<std::string> zones{"example", "b.example", "other.test"};
  EXPECT_EQ(zone_for("a.b.example", zones), 1u);  // under both: the longer wins
  EXPECT_EQ(zone_for("A.B.Example.", zones), 1u);
  EXPECT_EQ(zone_for("b.example", zones), 1u);
  EXPECT_EQ(zone_for("a.c.example", zones), 0u);
  EXPECT_EQ(zone_for("ab.example", zones), 0u);  // "ab" is not below "b.example"
  EXPECT_EQ(zone_for("web.other.test", zones), 2u);
  EXPECT_EQ(zone_for("web.elsewhere", zones), std::nullopt);
  // The order of the flags does not matter.
  EXPECT_EQ(zone_for("a.b.example", {"b.example", "example"}), 0u);
  EXPECT_EQ(zone_for("web.zone", {"zone"}), 0u);
  EXPECT_EQ(zone_for("web.zone", {}), std::nullopt);
}

}  // namespace
}  // namespace ecssd::model
