#pragma once
// `--provider embedded` (the default): for the agent, its own authoritative
// DNS responder (EmbeddedProvider); for records and reap, a read-only AXFR
// listing of a running agent's responder at the same --dns-listen
// (AxfrProvider). The records live as long as the agent serving them.
#include <string>
#include <utility>
#include <vector>

#include "provider/descriptor.h"

namespace ecssd::provider {

// Bound to --dns-listen, --dns-threads, --dns-tcp-max-connections and
// --dns-tcp-idle-timeout (the responder's limits, dns/responder.h).
struct EmbeddedSettings final : Settings {
  std::string dns_listen = "127.0.0.1:8053";
  int dns_threads = 1;
  int dns_tcp_max_connections = 128;
  std::string dns_tcp_idle_timeout = "10s";
  // Errors: kInvalidArgument naming --dns-tcp-idle-timeout when it is not a
  // duration above 0.
  common::Status validate(Role role) const override;
  std::vector<std::pair<std::string, std::string>> describe() const override;
};

const Descriptor& embedded_descriptor();

}  // namespace ecssd::provider
