#pragma once
// The one explicit table from provider name to constructor (no self-registering
// statics: their initialisation order and dropped objects in static libraries
// make them unreliable).
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "common/result.h"
#include "provider/provider.h"

namespace ecssd::aws {
struct AwsStack;
}

namespace ecssd::provider {

// Everything any provider may need; each reads its own fields.
struct ProviderConfig {
  std::string name = "embedded";  // "embedded", "route53"
  std::string zone;               // normalized
  // embedded
  std::string dns_listen = "127.0.0.1:8053";
  int dns_threads = 1;
  uint32_t ttl = 10;  // for the SOA/NS of the embedded zone
  std::string ns_name;  // embedded: name in the apex NS record
  // route53
  std::string zone_id;
  std::string zone_type = "private";
  // route53: the AWS plumbing to borrow (the caller's, shared with other AWS
  // clients such as EventBridge; must outlive the provider). Null: the
  // provider builds its own from the environment.
  aws::AwsStack* aws = nullptr;
};

// What the provider is for: the agent serves or writes records; a client
// (records, reap) reads a zone another process serves. For "embedded" this
// picks the responder (agent) or an AXFR reader of a running agent (client).
enum class Role { kAgent, kClient };

// A started provider, ready to list and apply. Errors: kInvalidArgument for an
// unknown name or bad options; whatever the provider's start-up returns (port in
// use, zone not found, no credentials).
boost::asio::awaitable<common::Result<std::unique_ptr<Provider>>> make_provider(boost::asio::io_context& io,
                                                                               const ProviderConfig& config,
                                                                               Role role);

std::vector<std::string> provider_names();

}  // namespace ecssd::provider
