#include "aws/endpoint.h"

#include "aws/config_file.h"
#include "aws/url.h"

namespace ecssd::aws {
namespace {

using common::ErrorCode;
using common::make_error;

bool valid_region(std::string_view r) {
  if (r.empty() || r.size() > 40 || r.front() == '-' || r.back() == '-') return false;
  for (char c : r) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

common::Result<std::string> endpoint_override(const ServiceInfo& info, const common::Environment& env) {
  if (env.flag("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) return std::string();
  std::string var = "AWS_ENDPOINT_URL_" + std::string(info.env_suffix);
  auto url = env.get(var);
  if (!url) {
    var = "AWS_ENDPOINT_URL";
    url = env.get(var);
  }
  if (!url) return std::string();
  auto parsed = parse_url(*url);
  if (!parsed) return make_error(ErrorCode::kInvalidArgument, var + ": " + parsed.error().message);
  if (parsed->path != "/" || !parsed->query.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      var + "=\"" + *url + "\" must be scheme://host[:port] without a path");
  }
  return parsed->scheme + "://" + parsed->authority;
}

}  // namespace

const ServiceInfo& service_info(Service service) {
  static const ServiceInfo kRoute53{"route53", "ROUTE_53", "route53", true};
  static const ServiceInfo kEvents{"events", "EVENTBRIDGE", "events", false};
  static const ServiceInfo kEcs{"ecs", "ECS", "ecs", false};
  static const ServiceInfo kEc2{"ec2", "EC2", "ec2", false};
  static const ServiceInfo kLambda{"lambda", "LAMBDA", "lambda", false};
  static const ServiceInfo kSts{"sts", "STS", "sts", false};
  switch (service) {
    case Service::kRoute53: return kRoute53;
    case Service::kEventBridge: return kEvents;
    case Service::kEcs: return kEcs;
    case Service::kEc2: return kEc2;
    case Service::kLambda: return kLambda;
    case Service::kSts: return kSts;
  }
  return kSts;
}

common::Result<ServiceEndpoint> resolve_endpoint(Service service, const common::Environment& env,
                                                 std::string_view region) {
  const ServiceInfo& info = service_info(service);
  auto override_url = endpoint_override(info, env);
  if (!override_url) return override_url.error();
  ServiceEndpoint ep;
  ep.signing_name = std::string(info.signing_name);
  if (info.global) {
    ep.region = "us-east-1";
    if (override_url->empty() && (starts_with(region, "cn-") || starts_with(region, "us-gov-"))) {
      return make_error(ErrorCode::kInvalidArgument,
                        "region " + std::string(region) + " is outside the aws partition, which is the only one "
                        "ecssd supports for " + std::string(info.signing_name) + "; set AWS_ENDPOINT_URL_" +
                            std::string(info.env_suffix));
    }
    ep.base_url = override_url->empty() ? "https://" + std::string(info.host_prefix) + ".amazonaws.com" : *override_url;
    return ep;
  }
  if (region.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "no AWS region for " + std::string(info.signing_name) + ": set AWS_REGION");
  }
  if (!valid_region(region)) {
    return make_error(ErrorCode::kInvalidArgument, "malformed AWS region \"" + std::string(region) + "\"");
  }
  ep.region = std::string(region);
  if (!override_url->empty()) {
    ep.base_url = *override_url;
    return ep;
  }
  if (starts_with(region, "cn-") || starts_with(region, "us-gov-") || starts_with(region, "us-iso")) {
    return make_error(ErrorCode::kInvalidArgument,
                      "region " + std::string(region) + " is outside the aws partition, which is the only one "
                      "ecssd knows endpoints for; set AWS_ENDPOINT_URL_" + std::string(info.env_suffix));
  }
  ep.base_url = "https://" + std::string(info.host_prefix) + "." + std::string(region) + ".amazonaws.com";
  return ep;
}

std::optional<std::string> configured_region(const common::Environment& env) {
  if (auto r = env.get("AWS_REGION")) return r;
  if (auto r = env.get("AWS_DEFAULT_REGION")) return r;
  auto cfg = load_shared_config(env);
  if (!cfg) return std::nullopt;
  if (const Profile* p = cfg->config_profile()) {
    auto it = p->find("region");
    if (it != p->end() && !it->second.empty()) return it->second;
  }
  return std::nullopt;
}

common::Task<common::Result<std::string>> resolve_region(common::Environment env, InstanceMetadata* imds) {
  if (auto r = configured_region(env)) co_return *r;
  std::string tried = "no AWS region configured: set AWS_REGION (or AWS_DEFAULT_REGION, or region in the AWS config "
                      "file profile)";
  if (imds && imds->enabled()) {
    auto r = co_await imds->region();
    if (r && valid_region(*r)) co_return *r;
    tried += "; EC2 instance metadata: " + (r ? std::string("malformed region") : r.error().message);
  }
  co_return make_error(ErrorCode::kInvalidArgument, tried);
}

}  // namespace ecssd::aws
