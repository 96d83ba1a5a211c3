#pragma once
// Where each AWS service is reached and how requests to it are signed, with
// the SDKs' standard overrides: AWS_ENDPOINT_URL_<SERVICE> (e.g.
// AWS_ENDPOINT_URL_ROUTE_53), then AWS_ENDPOINT_URL, unless
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true. The region comes from AWS_REGION,
// AWS_DEFAULT_REGION, the config file's profile, then IMDS.
//
// Only the "aws" partition is built in (amazonaws.com). China (cn-*) and
// GovCloud (us-gov-*) regions, FIPS and dual-stack endpoints are not: for
// them, set AWS_ENDPOINT_URL_<SERVICE>; Route 53 there also needs its own
// signing region, which is not supported.
#include <optional>
#include <string>
#include <string_view>

#include "common/environment.h"
#include "aws/instance_metadata.h"
#include "aws/transport.h"
#include "common/result.h"

namespace ecssd::aws {

enum class Service { kRoute53, kEventBridge, kEcs, kEc2, kLambda, kSts };

struct ServiceInfo {
  std::string_view signing_name;  // SigV4 service name: "route53"
  std::string_view env_suffix;    // AWS_ENDPOINT_URL_<env_suffix>: "ROUTE_53"
  std::string_view host_prefix;   // "<prefix>.<region>.amazonaws.com"
  bool global;                    // one endpoint for all regions, signed for us-east-1
};

const ServiceInfo& service_info(Service service);

// The endpoint of `service` in `region`. Route 53 is global: it ignores the
// region and signs for us-east-1 (also when its endpoint is overridden).
// Errors: kInvalidArgument for an override that is not an http(s) URL without
// a path, a missing or malformed region (regional services), or a region
// outside the aws partition without an override.
common::Result<ServiceEndpoint> resolve_endpoint(Service service, const common::Environment& env,
                                                 std::string_view region);

// AWS_REGION, AWS_DEFAULT_REGION, then the selected profile's "region" in the
// config file. nullopt when none says.
std::optional<std::string> configured_region(const common::Environment& env);

// configured_region(), else IMDS placement/region when `imds` is given and
// enabled. Errors: kInvalidArgument naming the variables to set when no
// source knows the region (with IMDS's error when it was asked).
common::Task<common::Result<std::string>> resolve_region(common::Environment env, InstanceMetadata* imds);

}  // namespace ecssd::aws
