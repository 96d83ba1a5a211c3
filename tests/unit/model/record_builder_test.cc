#include "model/record_builder.h"

#include <set>

#include <gtest/gtest.h>

namespace ecssd::model {
namespace {

Service web(uint16_t host_port = 18081) {
  Service s;
  s.container_id = "079ff28a82056e988f45de27f762b28789d9e293bb79ad61d041cc98b37b1061";
  s.container_name = "web-multi";
  s.started_unix = 1795594355;
  s.name = "web";
  s.container_port = 80;
  s.protocol = "tcp";
  s.host_port = host_port;
  s.container_ip = "172.17.0.3";
  return s;
}

RecordConfig config(RecordMode mode) {
  RecordConfig c;
  c.zone = "sd.internal";
  c.mode = mode;
  c.ttl = 10;
  c.host = {.owner_id = "host1", .host_name = "host1.sd.internal", .host_ip = "10.0.0.5"};
  return c;
}

TEST(RecordBuilder, CnameModePointsAtTheHostWithOneSetIdentifierPerContainer) {
  auto c = config(RecordMode::kCname);
  c.host.host_name = "ip-10-0-0-5.ec2.internal";
  auto out = build_records({web()}, c);
  ASSERT_TRUE(out.rejected.empty());
  ASSERT_EQ(out.records.size(), 1u);
  const Record& r = out.records[0];
  EXPECT_EQ(r.name, "web.sd.internal");
  EXPECT_EQ(r.type, RecordType::kCNAME);
  EXPECT_EQ(r.values, std::vector<std::string>{"ip-10-0-0-5.ec2.internal"});
  EXPECT_EQ(r.set_identifier, "ecssd:host1:079ff28a8205:80-tcp");
  EXPECT_EQ(r.weight, 1u);
  EXPECT_EQ(r.ttl, 10u);
  EXPECT_EQ(r.owner(), "host1");
  EXPECT_EQ(r.label_or(label::kContainer), web().container_id);
  EXPECT_EQ(r.label_or(label::kContainerName), "web-multi");
  EXPECT_EQ(r.label_or(label::kAddress), "10.0.0.5:18081");
  EXPECT_EQ(r.label_or(label::kCheck), "tcp");
  EXPECT_EQ(r.label_or(label::kStarted), "1795594355");
}

TEST(RecordBuilder, SrvModeAddsTheHostARecordWhenTheHostIsInTheZone) {
  Service udp = web(19000);
  udp.name = "_stats._udp";
  udp.container_port = 9000;
  udp.protocol = "udp";
  auto out = build_records({web(), udp}, config(RecordMode::kSrv));
  ASSERT_EQ(out.records.size(), 3u);
  EXPECT_EQ(out.records[0].name, "_stats._udp.sd.internal");
  EXPECT_EQ(out.records[0].values[0], "1 1 19000 host1.sd.internal");
  EXPECT_EQ(out.records[0].label_or(label::kCheck), "none");
  EXPECT_EQ(out.records[1].name, "_web._tcp.sd.internal");
  EXPECT_EQ(out.records[1].values[0], "1 1 18081 host1.sd.internal");
  EXPECT_EQ(out.records[2].name, "host1.sd.internal");
  EXPECT_EQ(out.records[2].type, RecordType::kA);
  EXPECT_EQ(out.records[2].values[0], "10.0.0.5");
  EXPECT_EQ(out.records[2].set_identifier, "ecssd:host1:host");
  EXPECT_EQ(out.records[2].label_or(label::kKind), "host");
}

TEST(RecordBuilder, SrvValuesCarryTheServicePriorityAndWeight) {
  Service s = web();
  s.priority = 10;
  s.weight = 5;
  Service zero = web(18082);
  zero.container_id = "1111111111111111111111111111111111111111111111111111111111111111";
  zero.priority = 0;
  zero.weight = 0;
  auto out = build_records({s, zero}, config(RecordMode::kSrv));
  ASSERT_TRUE(out.rejected.empty());
  std::set<std::string> values;
  for (const auto& r : out.records) {
    if (r.type == RecordType::kSRV) values.insert(r.values.at(0));
  }
  EXPECT_EQ(values, (std::set<std::string>{"10 5 18081 host1.sd.internal", "0 0 18082 host1.sd.internal"}));
}

TEST(RecordBuilder, SeveralZonesPlaceEachNameInTheLongestMatchingZone) {
  auto c = config(RecordMode::kA);
  c.zone = "example";
  c.zones = {"example", "b.example"};
  EXPECT_TRUE(validate(c).ok());
  auto placed = place_name("a.b.example.", c);
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ(placed->zone, "b.example");  // under both: the longer suffix
  EXPECT_EQ(placed->relative, "a");
  placed = place_name("web", c);  // relative names: below the first zone
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ(placed->zone, "example");

  Service rel = web();
  rel.name = "a.b";  // a.b.example: a name in b.example, written relative to the first zone
  Service abs = web(18082);
  abs.container_id = "2222222222222222222222222222222222222222222222222222222222222222";
  abs.name = "api.B.Example.";
  Service outside = web(18083);
  outside.container_id = "3333333333333333333333333333333333333333333333333333333333333333";
  outside.name = "web.elsewhere.";
  Service apex = web(18084);
  apex.container_id = "4444444444444444444444444444444444444444444444444444444444444444";
  apex.name = "b.example.";
  auto out = build_records({rel, abs, outside, apex}, c);
  std::set<std::string> names;
  for (const auto& r : out.records) names.insert(r.name);
  EXPECT_EQ(names, (std::set<std::string>{"a.b.example", "api.b.example"}));
  ASSERT_EQ(out.rejected.size(), 2u);
  EXPECT_EQ(out.rejected[0].field, "SERVICE_80_NAME");
  EXPECT_EQ(out.rejected[0].container_name, "web-multi");
  EXPECT_NE(out.rejected[0].reason.find("none of the served zones (example, b.example"), std::string::npos)
      << out.rejected[0].reason;
  EXPECT_NE(out.rejected[1].reason.find("apex"), std::string::npos) << out.rejected[1].reason;

  // SRV: the service label goes below the zone that holds the name.
  c.mode = RecordMode::kSrv;
  c.host.host_name = "host1.b.example";
  auto srv = build_records({abs}, c);
  ASSERT_TRUE(srv.rejected.empty());
  names.clear();
  for (const auto& r : srv.records) names.insert(r.name);
  EXPECT_EQ(names, (std::set<std::string>{"_api._tcp.b.example", "host1.b.example"}));  // the host is in a served zone
}

TEST(RecordBuilder, OneZoneRefusesAnAbsoluteNameOutsideIt) {
  Service s = web();
  s.name = "web.other.";
  auto out = build_records({s}, config(RecordMode::kCname));
  EXPECT_TRUE(out.records.empty());
  ASSERT_EQ(out.rejected.size(), 1u);
  EXPECT_NE(out.rejected[0].reason.find("none of the served zones (sd.internal"), std::string::npos);
  s.name = "web.sd.internal.";
  auto in = build_records({s}, config(RecordMode::kA));
  ASSERT_EQ(in.records.size(), 1u);
  EXPECT_EQ(in.records[0].name, "web.sd.internal");
}

TEST(RecordBuilder, CnameIntoTheZoneBringsTheHostAddress) {
  auto out = build_records({web()}, config(RecordMode::kCname));
  ASSERT_EQ(out.records.size(), 2u);
  EXPECT_EQ(out.records[0].name, "host1.sd.internal");
  EXPECT_EQ(out.records[0].type, RecordType::kA);
  EXPECT_EQ(out.records[1].type, RecordType::kCNAME);
}

TEST(RecordBuilder, SrvModeWithAHostOutsideTheZoneHasNoHostRecord) {
  auto c = config(RecordMode::kSrv);
  c.host.host_name = "ip-10-0-0-5.ec2.internal";
  auto out = build_records({web()}, c);
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].type, RecordType::kSRV);
}

TEST(RecordBuilder, AModePublishesAAndAaaaWhenTheHostHasIpv6) {
  auto c = config(RecordMode::kA);
  c.host.host_ip6 = "fd00::5";
  auto out = build_records({web()}, c);
  ASSERT_EQ(out.records.size(), 2u);
  EXPECT_EQ(out.records[0].type, RecordType::kA);
  EXPECT_EQ(out.records[0].values[0], "10.0.0.5");
  EXPECT_EQ(out.records[1].type, RecordType::kAAAA);
  EXPECT_EQ(out.records[1].values[0], "fd00::5");
}

TEST(RecordBuilder, UnpublishedPortIsRejectedUnlessTargetingContainers) {
  auto out = build_records({web(0)}, config(RecordMode::kCname));
  EXPECT_TRUE(out.records.empty());  // no host record either: nothing points at it
  ASSERT_EQ(out.rejected.size(), 1u);
  EXPECT_EQ(out.rejected[0].field, "SERVICE_80_NAME");
  EXPECT_EQ(out.rejected[0].container_name, "web-multi");
  EXPECT_NE(out.rejected[0].reason.find("not published"), std::string::npos);

  auto c = config(RecordMode::kA);
  c.target = TargetMode::kContainer;
  out = build_records({web(0)}, c);
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].values[0], "172.17.0.3");
  EXPECT_EQ(out.records[0].label_or(label::kAddress), "172.17.0.3:80");
}

TEST(RecordBuilder, ContainerTargetInCnameModePointsAtAPerContainerName) {
  auto c = config(RecordMode::kCname);
  c.target = TargetMode::kContainer;
  auto out = build_records({web(0)}, c);
  ASSERT_EQ(out.records.size(), 2u);
  EXPECT_EQ(out.records[0].name, "079ff28a8205.sd.internal");
  EXPECT_EQ(out.records[0].values[0], "172.17.0.3");
  EXPECT_EQ(out.records[1].values[0], "079ff28a8205.sd.internal");
}

TEST(RecordBuilder, ContainerTargetWithoutAnAddressIsRejected) {
  auto c = config(RecordMode::kA);
  c.target = TargetMode::kContainer;
  Service s = web(0);
  s.container_ip.clear();
  auto out = build_records({s}, c);
  EXPECT_TRUE(out.records.empty());
  ASSERT_EQ(out.rejected.size(), 1u);
  EXPECT_NE(out.rejected[0].reason.find("--network"), std::string::npos);
}

TEST(RecordBuilder, NameTooLongForTheZoneIsRejectedAndOthersStillPublish) {
  Service longname = web();
  longname.container_port = 81;
  auto c = config(RecordMode::kCname);
  c.host.host_name = "h.example";
  // Appended piece by piece: g++ 12 warns (-Warray-bounds, a false positive) on the chain of operator+.
  longname.name.assign(63, 'a').append(".").append(63, 'b').append(".").append(63, 'c').append(".").append(60, 'd');
  auto out = build_records({longname, web()}, c);
  ASSERT_EQ(out.records.size(), 1u);
  ASSERT_EQ(out.rejected.size(), 1u);
  EXPECT_EQ(out.rejected[0].field, "SERVICE_81_NAME");
}

TEST(RecordBuilder, SpecificHostBindingWins) {
  Service s = web();
  s.host_ip = "127.0.0.1";
  auto out = build_records({s}, config(RecordMode::kA));
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].values[0], "127.0.0.1");
}

TEST(RecordBuilder, HttpCheckAndEcsDataReachTheLabels) {
  Service s = web();
  s.check.kind = HealthCheck::Kind::kHttp;
  s.check.http_path = "/health";
  s.check.http_status = "200";
  s.check.timeout = "2s";
  s.task_arn = "arn:aws:ecs:us-east-1:123456789012:task/c/abc";
  s.cluster = "c";
  auto c = config(RecordMode::kCname);
  c.host.host_name = "h.example";
  c.host.instance_id = "i-0123";
  auto out = build_records({s}, c);
  ASSERT_EQ(out.records.size(), 1u);
  const auto& l = out.records[0].labels;
  EXPECT_EQ(l.at("check"), "http");
  EXPECT_EQ(l.at("check-http"), "/health");
  EXPECT_EQ(l.at("check-http-status"), "200");
  EXPECT_EQ(l.at("check-timeout"), "2s");
  EXPECT_EQ(l.at("task-arn"), s.task_arn);
  EXPECT_EQ(l.at("cluster"), "c");
  EXPECT_EQ(l.at("instance"), "i-0123");
}

TEST(RecordBuilder, TheAgentsVerdictIsWrittenOnlyForCheckedServices) {
  auto c = config(RecordMode::kCname);
  auto plain = build_records({web()}, c);
  ASSERT_EQ(plain.records.size(), 2u);  // the CNAME and the host's A record
  for (const auto& r : plain.records) {
    EXPECT_EQ(r.labels.count(std::string(label::kHealth)), 0u);  // unchecked: the labels of before
    EXPECT_EQ(r.labels.count(std::string(label::kHealthSince)), 0u);
  }
  Service checked = web();
  checked.verdict = {"passing", 1795594400};
  auto out = build_records({checked}, c);
  const Record* cname = nullptr;
  for (const auto& r : out.records) {
    if (r.type == RecordType::kCNAME) cname = &r;
  }
  ASSERT_NE(cname, nullptr);
  EXPECT_EQ(cname->label_or(label::kHealth), "passing");
  EXPECT_EQ(cname->label_or(label::kHealthSince), "1795594400");
}

TEST(RecordBuilder, ServiceAddressIsTheAddrLabel) {
  struct Case {
    Service s;
    TargetMode target;
    std::string want;
  };
  Service bound = web();
  bound.host_ip = "10.1.1.1";
  Service v6 = web();
  v6.container_ip = "";
  v6.container_ip6 = "fd00::3";
  Service unpublished = web(0);
  std::vector<Case> cases = {{web(), TargetMode::kHost, "10.0.0.5:18081"},
                             {bound, TargetMode::kHost, "10.1.1.1:18081"},
                             {web(), TargetMode::kContainer, "172.17.0.3:80"},
                             {v6, TargetMode::kContainer, "[fd00::3]:80"},
                             {unpublished, TargetMode::kHost, ""},
                             {unpublished, TargetMode::kContainer, "172.17.0.3:80"}};
  for (const auto& k : cases) {
    auto c = config(RecordMode::kA);
    c.target = k.target;
    EXPECT_EQ(service_address(k.s, c), k.want);
    auto out = build_records({k.s}, c);
    if (!k.want.empty()) {
      ASSERT_FALSE(out.records.empty());
      EXPECT_EQ(out.records.front().label_or(label::kAddress), k.want);
    }
  }
}

TEST(RecordBuilder, ValidateRejectsBadConfigs) {
  auto c = config(RecordMode::kCname);
  EXPECT_TRUE(validate(c).ok());
  c.host.owner_id = "a:b";
  EXPECT_FALSE(validate(c).ok());
  c = config(RecordMode::kCname);
  c.host.owner_id = std::string(120, 'x');
  EXPECT_FALSE(validate(c).ok());
  c = config(RecordMode::kA);
  c.host.host_ip.clear();
  EXPECT_FALSE(validate(c).ok());
  c = config(RecordMode::kCname);
  c.zone = "bad zone";
  EXPECT_FALSE(validate(c).ok());
}

}  // namespace
}  // namespace ecssd::model
