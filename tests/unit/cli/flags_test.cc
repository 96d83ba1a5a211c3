#include "cli/flags.h"

#include <gtest/gtest.h>

#include "fakes/aws/fake_instance_metadata.h"
#include "fakes/run_sync.h"

namespace ecssd::cli {
namespace {

using aws::testing::FakeInstanceMetadata;
using ecssd::testing::run_sync;

FakeInstanceMetadata on_ec2() {
  return FakeInstanceMetadata({{"local-hostname", "ip-10-1-2-3.eu-west-1.compute.internal\n"},
                               {"local-ipv4", "10.1.2.3"},
                               {"instance-id", "i-0abc123def4567890"}});
}

ProviderFlags route53() {
  ProviderFlags p;
  p.provider = "route53";
  p.zone = "sd.internal";
  return p;
}

TEST(InstanceMetadataDefaults, FillsWhatTheFlagsLeaveOut) {
  boost::asio::io_context io;
  auto imds = on_ec2();
  RecordFlags f = run_sync(io, with_instance_metadata(RecordFlags{}, imds));
  EXPECT_EQ(f.host_name, "ip-10-1-2-3.eu-west-1.compute.internal");
  EXPECT_EQ(f.host_ip, "10.1.2.3");
  EXPECT_EQ(f.instance_id, "i-0abc123def4567890");
  auto c = resolve_record_config(f, route53());
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->host.host_name, "ip-10-1-2-3.eu-west-1.compute.internal");
  EXPECT_EQ(c->host.host_ip, "10.1.2.3");
  EXPECT_EQ(c->host.instance_id, "i-0abc123def4567890");
  EXPECT_EQ(c->host.owner_id, "ip-10-1-2-3.eu-west-1.compute.internal");
}

TEST(InstanceMetadataDefaults, NotAskedWhenHostNameAndIpAreGiven) {
  boost::asio::io_context io;
  auto imds = on_ec2();
  RecordFlags given;
  given.host_name = "h1";
  given.host_ip = "10.9.9.9";
  RecordFlags f = run_sync(io, with_instance_metadata(given, imds));
  EXPECT_EQ(imds.calls(), 0);
  EXPECT_EQ(f.host_name, "h1");
  EXPECT_EQ(f.host_ip, "10.9.9.9");
  EXPECT_EQ(f.instance_id, "");
}

TEST(InstanceMetadataDefaults, OnlyTheMissingOneIsTaken) {
  boost::asio::io_context io;
  auto imds = on_ec2();
  RecordFlags given;
  given.host_name = "h1";
  given.instance_id = "i-given";
  RecordFlags f = run_sync(io, with_instance_metadata(given, imds));
  EXPECT_EQ(f.host_name, "h1");
  EXPECT_EQ(f.host_ip, "10.1.2.3");
  EXPECT_EQ(f.instance_id, "i-given");
}

TEST(InstanceMetadataDefaults, DisabledIsNeverAsked) {
  boost::asio::io_context io;
  auto imds = on_ec2();
  imds.set_enabled(false);
  RecordFlags f = run_sync(io, with_instance_metadata(RecordFlags{}, imds));
  EXPECT_EQ(imds.calls(), 0);
  EXPECT_EQ(f.host_name, "");
  EXPECT_EQ(f.host_ip, "");
}

TEST(InstanceMetadataDefaults, OffEc2FallsBackAfterOneFailure) {
  boost::asio::io_context io;
  auto imds = on_ec2();
  imds.set_unreachable(true);
  RecordFlags f = run_sync(io, with_instance_metadata(RecordFlags{}, imds));
  EXPECT_EQ(imds.calls(), 1);  // the first failure ends the questions
  EXPECT_EQ(f.host_name, "");
  EXPECT_EQ(f.host_ip, "");
  EXPECT_EQ(f.instance_id, "");
  // resolve_record_config then takes this machine's own facts.
  auto c = resolve_record_config(f, route53());
  if (c.ok()) {
    EXPECT_EQ(c->host.instance_id, "");
  }
}

TEST(InstanceMetadataDefaults, MalformedAnswersAreIgnored) {
  boost::asio::io_context io;
  FakeInstanceMetadata imds({{"local-hostname", "bad_name!.internal"}, {"local-ipv4", "10.1.2"},
                             {"instance-id", "i-1"}});
  RecordFlags f = run_sync(io, with_instance_metadata(RecordFlags{}, imds));
  EXPECT_EQ(f.host_name, "");
  EXPECT_EQ(f.host_ip, "");
}

}  // namespace
}  // namespace ecssd::cli
