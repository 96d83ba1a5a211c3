#include "cli/flags.h"

#include <algorithm>

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
  p.zones = {"sd.internal"};
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

TEST(ListenValidator, TheListenFlagsRejectWhatNoRetryCanFix) {
  CLI::App app;
  std::string dns, metrics;
  app.add_option("--dns-listen", dns)->check(listen_validator(false));
  app.add_option("--metrics-listen", metrics)->check(listen_validator(true));
  // As from argv (CLI11 takes the vector last argument first).
  auto parse = [&](std::vector<std::string> args) {
    std::reverse(args.begin(), args.end());
    app.parse(args);
  };
  EXPECT_NO_THROW(parse({"--dns-listen", "[::1]:53", "--metrics-listen", "127.0.0.1:9253"}));
  EXPECT_EQ(dns, "[::1]:53");
  EXPECT_NO_THROW(parse({"--dns-listen", "127.0.0.1:8053", "--metrics-listen", ""}));
  EXPECT_EQ(metrics, "");
  for (auto bad : std::vector<std::vector<std::string>>{{"--dns-listen", "127.0.0.1:99999"},
                                                        {"--dns-listen", "localhost:53"},
                                                        {"--dns-listen", ""},
                                                        {"--metrics-listen", "9253"}}) {
    EXPECT_THROW(parse(bad), CLI::ValidationError) << bad[0] << " " << bad[1];
  }
}

// The name policy's flags: repeated, or comma-separated as ECSSD_ALLOW_NAME
// and ECSSD_DENY_NAME are; the patterns are checked with --zone.
TEST(RecordFlags, NamePatternsRepeatOrSplitOnCommasAndAreChecked) {
  CLI::App app;
  RecordFlags f;
  add_record_flags(app, f);
  std::vector<std::string> args{"--allow-name", "team-a-*",   "--allow-name",
                                "shared,db?",   "--deny-name", "team-a-admin"};
  std::reverse(args.begin(), args.end());  // CLI11 takes the last first
  app.parse(args);
  EXPECT_EQ(f.allow_names, (std::vector<std::string>{"team-a-*", "shared", "db?"}));
  EXPECT_EQ(f.deny_names, std::vector<std::string>{"team-a-admin"});
  f.host_name = "h1";
  f.host_ip = "10.0.0.1";
  ProviderFlags p;
  p.zones = {"SD.Internal"};
  auto c = resolve_record_config(f, p);
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->names.describe(), "allow=team-a-*,shared,db? deny=team-a-admin");
  EXPECT_EQ(c->names.refuses("team-a-admin.sd.internal"), "--deny-name team-a-admin");
  EXPECT_FALSE(c->names.refuses("team-a-web.sd.internal"));
  f.deny_names = {"a..b"};
  auto bad = resolve_record_config(f, p);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, common::ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message, "--deny-name \"a..b\": empty label");
}

}  // namespace
}  // namespace ecssd::cli
