// The client's copy of a zone: full replacement, IXFR steps applied all or
// nothing, and the RRset views the provider plans with.
#include "dns/zone_copy.h"

#include <gtest/gtest.h>

namespace ecssd::dns {
namespace {

using model::RecordType;

std::string soa(uint32_t serial) { return "ns.svc.test hostmaster.svc.test " + std::to_string(serial) + " 3600 600 86400 5"; }

Rr rr(std::string name, RecordType type, std::string value, uint32_t ttl = 10) {
  return Rr{std::move(name), type, ttl, std::move(value)};
}

ZoneCopy loaded(uint32_t serial = 1) {
  ZoneCopy c("svc.test");
  EXPECT_TRUE(c.replace({rr("svc.test", RecordType::kSOA, soa(serial), 60), rr("svc.test", RecordType::kNS, "ns.svc.test", 60),
                         rr("web.svc.test", RecordType::kA, "10.0.0.1"), rr("web.svc.test", RecordType::kA, "10.0.0.2", 30),
                         rr("_w._tcp.svc.test", RecordType::kSRV, "1 1 80 h1.svc.test")})
                  .ok());
  return c;
}

TEST(ZoneCopyTest, FullTransferReplacesEverything) {
  auto c = loaded(7);
  EXPECT_TRUE(c.loaded());
  EXPECT_EQ(c.serial(), 7u);
  EXPECT_EQ(c.rr_count(), 5u);
  auto web = c.rrset("web.svc.test", RecordType::kA);
  ASSERT_TRUE(web);
  EXPECT_EQ(web->values, (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
  EXPECT_EQ(web->ttl, 10u);  // the smallest
  EXPECT_EQ(c.types_at("web.svc.test"), (std::set<RecordType>{RecordType::kA}));
  EXPECT_EQ(c.types_at("svc.test"), (std::set<RecordType>{RecordType::kNS, RecordType::kSOA}));
  EXPECT_TRUE(c.types_at("nothing.svc.test").empty());
  EXPECT_EQ(c.records().size(), 4u);
  ASSERT_TRUE(c.replace({rr("svc.test", RecordType::kSOA, soa(9))}).ok());
  EXPECT_EQ(c.rr_count(), 1u);
  EXPECT_FALSE(c.rrset("web.svc.test", RecordType::kA));
}

TEST(ZoneCopyTest, FullTransferWithoutSoaIsRefused) {
  auto c = loaded(3);
  EXPECT_FALSE(c.replace({rr("web.svc.test", RecordType::kA, "10.0.0.9")}).ok());
  EXPECT_EQ(c.serial(), 3u);
  EXPECT_EQ(c.rr_count(), 5u);
}

TEST(ZoneCopyTest, IxfrStepsApplyInOrder) {
  auto c = loaded(1);
  std::vector<IxfrStep> steps = {
      {1, 2, {rr("web.svc.test", RecordType::kA, "10.0.0.1")},
       {rr("svc.test", RecordType::kSOA, soa(2), 60), rr("api.svc.test", RecordType::kCNAME, "h1.svc.test")}},
      {2, 3, {rr("api.svc.test", RecordType::kCNAME, "h1.svc.test")},
       {rr("svc.test", RecordType::kSOA, soa(3), 60), rr("web.svc.test", RecordType::kA, "10.0.0.3")}},
  };
  auto s = c.apply(steps, 3);
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_EQ(c.serial(), 3u);
  ASSERT_TRUE(c.soa());
  EXPECT_EQ(c.soa()->value, soa(3));
  EXPECT_EQ(c.rrset("web.svc.test", RecordType::kA)->values, (std::vector<std::string>{"10.0.0.2", "10.0.0.3"}));
  EXPECT_FALSE(c.rrset("api.svc.test", RecordType::kCNAME));
  EXPECT_EQ(c.rrset("svc.test", RecordType::kSOA)->values.size(), 1u);
}

TEST(ZoneCopyTest, IxfrThatDoesNotFitChangesNothing) {
  auto c = loaded(1);
  // Removes what the copy does not hold.
  auto missing = c.apply({{1, 2, {rr("gone.svc.test", RecordType::kA, "10.9.9.9")}, {rr("svc.test", RecordType::kSOA, soa(2))}}}, 2);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, common::ErrorCode::kProtocol);
  // Starts at another serial.
  EXPECT_FALSE(c.apply({{5, 6, {}, {rr("svc.test", RecordType::kSOA, soa(6))}}}, 6).ok());
  // Ends short of the server's serial.
  EXPECT_FALSE(c.apply({{1, 2, {}, {rr("svc.test", RecordType::kSOA, soa(2))}}}, 3).ok());
  // A first step that applies, then one that does not: the first is not kept.
  EXPECT_FALSE(c.apply({{1, 2, {}, {rr("svc.test", RecordType::kSOA, soa(2)), rr("new.svc.test", RecordType::kA, "10.1.1.1")}},
                        {2, 3, {rr("gone.svc.test", RecordType::kA, "10.9.9.9")}, {rr("svc.test", RecordType::kSOA, soa(3))}}},
                       3)
                   .ok());
  EXPECT_EQ(c.serial(), 1u);
  EXPECT_FALSE(c.rrset("new.svc.test", RecordType::kA));
  EXPECT_EQ(c.rr_count(), 5u);
}

TEST(ZoneCopyTest, EmptyCopyTakesNoSteps) {
  ZoneCopy c("svc.test");
  EXPECT_FALSE(c.loaded());
  EXPECT_FALSE(c.apply({}, 1).ok());
}

TEST(ZoneCopyTest, SoaSerial) {
  EXPECT_EQ(soa_serial(soa(2026120101)), 2026120101u);
  EXPECT_EQ(soa_serial("ns hm"), std::nullopt);
  EXPECT_EQ(soa_serial("ns hm 99999999999 1 1 1 1"), std::nullopt);
}

}  // namespace
}  // namespace ecssd::dns
