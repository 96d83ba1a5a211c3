// Endpoint and region resolution with the standard overrides.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "aws/endpoint.h"
#include "fakes/aws/fake_instance_metadata.h"
#include "run_task.h"

namespace ecssd::aws {
namespace {

using common::ErrorCode;
using testing::FakeInstanceMetadata;
using testing::run_task;

TEST(ResolveEndpoint, Route53IsGlobalAndSignedForUsEast1) {
  auto ep = resolve_endpoint(Service::kRoute53, common::Environment::from_map({}), "eu-west-1");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->base_url, "https://route53.amazonaws.com");
  EXPECT_EQ(ep->signing_name, "route53");
  EXPECT_EQ(ep->region, "us-east-1");
  // No region is needed at all.
  EXPECT_TRUE(resolve_endpoint(Service::kRoute53, common::Environment::from_map({}), "").ok());
}

TEST(ResolveEndpoint, RegionalServices) {
  common::Environment env = common::Environment::from_map({});
  auto ecs = resolve_endpoint(Service::kEcs, env, "eu-central-1");
  EXPECT_EQ(ecs->base_url, "https://ecs.eu-central-1.amazonaws.com");
  EXPECT_EQ(ecs->signing_name, "ecs");
  EXPECT_EQ(ecs->region, "eu-central-1");
  EXPECT_EQ(resolve_endpoint(Service::kEventBridge, env, "us-west-2")->base_url,
            "https://events.us-west-2.amazonaws.com");
  EXPECT_EQ(resolve_endpoint(Service::kEventBridge, env, "us-west-2")->signing_name, "events");
  EXPECT_EQ(resolve_endpoint(Service::kEc2, env, "ap-southeast-2")->base_url, "https://ec2.ap-southeast-2.amazonaws.com");
  EXPECT_EQ(resolve_endpoint(Service::kLambda, env, "sa-east-1")->base_url, "https://lambda.sa-east-1.amazonaws.com");
}

TEST(ResolveEndpoint, ServiceSpecificOverrideBeatsTheGlobalOne) {
  common::Environment env =
      common::Environment::from_map({{"AWS_ENDPOINT_URL", "http://127.0.0.1:5000"},
                                     {"AWS_ENDPOINT_URL_ROUTE_53", "http://localhost:5353/"},
                                     {"AWS_ENDPOINT_URL_EVENTBRIDGE", "https://events.internal:8443"}});
  auto r53 = resolve_endpoint(Service::kRoute53, env, "eu-west-1");
  EXPECT_EQ(r53->base_url, "http://localhost:5353");  // trailing slash dropped
  EXPECT_EQ(r53->region, "us-east-1");
  EXPECT_EQ(resolve_endpoint(Service::kEventBridge, env, "eu-west-1")->base_url, "https://events.internal:8443");
  auto ecs = resolve_endpoint(Service::kEcs, env, "eu-west-1");
  EXPECT_EQ(ecs->base_url, "http://127.0.0.1:5000");
  EXPECT_EQ(ecs->region, "eu-west-1");  // signed for the configured region
  EXPECT_EQ(resolve_endpoint(Service::kEc2, env, "eu-west-1")->base_url, "http://127.0.0.1:5000");
}

TEST(ResolveEndpoint, OverridesCanBeIgnored) {
  common::Environment env = common::Environment::from_map(
      {{"AWS_ENDPOINT_URL", "http://127.0.0.1:5000"}, {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}});
  EXPECT_EQ(resolve_endpoint(Service::kEcs, env, "us-east-1")->base_url, "https://ecs.us-east-1.amazonaws.com");
}

TEST(ResolveEndpoint, BadInputIsExplained) {
  auto path = resolve_endpoint(
      Service::kEcs, common::Environment::from_map({{"AWS_ENDPOINT_URL_ECS", "http://h:1/prefix"}}), "us-east-1");
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(path.error().message.find("AWS_ENDPOINT_URL_ECS"), std::string::npos) << path.error().message;

  auto scheme =
      resolve_endpoint(Service::kEcs, common::Environment::from_map({{"AWS_ENDPOINT_URL", "ftp://h"}}), "us-east-1");
  ASSERT_FALSE(scheme.ok());
  EXPECT_NE(scheme.error().message.find("AWS_ENDPOINT_URL"), std::string::npos);

  auto no_region = resolve_endpoint(Service::kEcs, common::Environment::from_map({}), "");
  ASSERT_FALSE(no_region.ok());
  EXPECT_NE(no_region.error().message.find("AWS_REGION"), std::string::npos);

  EXPECT_FALSE(resolve_endpoint(Service::kEcs, common::Environment::from_map({}), "EU West 1").ok());
}

TEST(ResolveEndpoint, OtherPartitionsNeedAnOverride) {
  auto cn = resolve_endpoint(Service::kEcs, common::Environment::from_map({}), "cn-north-1");
  ASSERT_FALSE(cn.ok());
  EXPECT_NE(cn.error().message.find("AWS_ENDPOINT_URL_ECS"), std::string::npos) << cn.error().message;
  auto gov = resolve_endpoint(Service::kRoute53, common::Environment::from_map({}), "us-gov-west-1");
  ASSERT_FALSE(gov.ok());
  EXPECT_NE(gov.error().message.find("AWS_ENDPOINT_URL_ROUTE_53"), std::string::npos);
  auto overridden = resolve_endpoint(
      Service::kEcs,
      common::Environment::from_map({{"AWS_ENDPOINT_URL_ECS", "https://ecs.cn-north-1.amazonaws.com.cn"}}),
      "cn-north-1");
  ASSERT_TRUE(overridden.ok());
  EXPECT_EQ(overridden->region, "cn-north-1");
}

TEST(ResolveRegion, VariablesThenConfigFileThenImds) {
  auto home = std::filesystem::temp_directory_path() / ("ecssd-region-" + std::to_string(::getpid()));
  std::filesystem::create_directories(home / ".aws");
  std::ofstream(home / ".aws/config") << "[default]\nregion = ca-central-1\n[profile dev]\nregion = eu-north-1\n";
  FakeInstanceMetadata imds;
  imds.set("placement/region", "ap-south-1");

  auto region = [&](std::map<std::string, std::string, std::less<>> vars) {
    auto r = run_task(resolve_region(common::Environment::from_map(std::move(vars)), &imds));
    return r.ok() ? *r : r.error().message;
  };
  EXPECT_EQ(region({{"AWS_REGION", "us-west-1"}, {"AWS_DEFAULT_REGION", "us-west-2"}, {"HOME", home.string()}}),
            "us-west-1");
  EXPECT_EQ(region({{"AWS_DEFAULT_REGION", "us-west-2"}, {"HOME", home.string()}}), "us-west-2");
  EXPECT_EQ(region({{"HOME", home.string()}}), "ca-central-1");
  EXPECT_EQ(region({{"HOME", home.string()}, {"AWS_PROFILE", "dev"}}), "eu-north-1");
  EXPECT_EQ(imds.calls(), 0);  // asked only when nothing else says
  std::filesystem::remove_all(home);
  EXPECT_EQ(region({{"HOME", home.string()}}), "ap-south-1");
  EXPECT_EQ(imds.calls(), 1);
}

TEST(ResolveRegion, NothingKnownIsAClearError) {
  FakeInstanceMetadata imds;
  imds.set_unreachable(true);
  auto r = run_task(resolve_region(common::Environment::from_map({}), &imds));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("set AWS_REGION"), std::string::npos);
  EXPECT_NE(r.error().message.find("not reachable"), std::string::npos);

  FakeInstanceMetadata disabled;
  disabled.set_enabled(false);
  EXPECT_FALSE(run_task(resolve_region(common::Environment::from_map({}), &disabled)).ok());
  EXPECT_EQ(disabled.calls(), 0);
  EXPECT_FALSE(run_task(resolve_region(common::Environment::from_map({}), nullptr)).ok());
}

}  // namespace
}  // namespace ecssd::aws
