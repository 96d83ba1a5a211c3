#include "model/names.h"

#include <gtest/gtest.h>

namespace ecssd::model {
namespace {

TEST(Names, NormalizeLowersAndStripsTheTrailingDot) {
  EXPECT_EQ(normalize_name("Web.Zone."), "web.zone");
  EXPECT_EQ(normalize_name("a"), "a");
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

}  // namespace
}  // namespace ecssd::model
