#pragma once
// The RFC 2136 provider's narrow seam to its DNS servers (external-dns
// provider/rfc2136's rfc2136Actions): keep a zone copy current, send one
// UPDATE. DnsTransport speaks DNS over TCP with TSIG (src/dns); unit tests
// use tests/fakes/rfc2136's in-memory server.
#include <cstddef>
#include <memory>
#include <string>

#include "common/result.h"
#include "common/task.h"
#include "common/time_system.h"
#include "dns/server_answer.h"
#include "dns/update_client.h"
#include "dns/update_message.h"
#include "dns/xfr_client.h"
#include "dns/zone_copy.h"

namespace ecssd::provider::rfc2136 {

class Transport {
 public:
  virtual ~Transport() = default;

  // Brings `copy` to the server's current version (SOA serial check, then
  // IXFR or AXFR). The copy changes only on success. A refusal comes back in
  // Refresh::answer. Errors: transient kUnavailable/kTimeout (server down,
  // connection lost: nothing changed); kPermissionDenied (an answer that
  // fails our TSIG check); kProtocol (not a well-formed transfer); kTooLarge.
  virtual common::Task<common::Result<dns::Refresh>> refresh(dns::ZoneCopy& copy) = 0;

  // Sends one UPDATE and returns the server's answer as data. Errors (no
  // answer): transient kUnavailable/kTimeout (the update may or may not have
  // been applied: the caller reads the zone back to know); kInvalidArgument
  // or kTooLarge for a message that cannot be built; kProtocol.
  virtual common::Task<common::Result<dns::UpdateAnswer>> update(const dns::UpdateRequest& request) = 0;

  // The most octets an UPDATE may take before signing.
  virtual size_t max_update_size() const = 0;
};

// The real transport: updates to one server, transfers from another (often
// the same), each with its own key (or none).
struct DnsTransportOptions {
  std::string zone;
  dns::ServerOptions update;
  dns::ServerOptions transfer;
  dns::XfrLimits limits;
};

class DnsTransport final : public Transport {
 public:
  explicit DnsTransport(DnsTransportOptions options) : options_(std::move(options)) {}
  common::Task<common::Result<dns::Refresh>> refresh(dns::ZoneCopy& copy) override {
    co_return co_await dns::refresh(options_.transfer, copy, options_.limits);
  }
  common::Task<common::Result<dns::UpdateAnswer>> update(const dns::UpdateRequest& request) override {
    co_return co_await dns::send_update(options_.update, options_.zone, request);
  }
  size_t max_update_size() const override { return dns::max_update_size(options_.update); }

 private:
  DnsTransportOptions options_;
};

}  // namespace ecssd::provider::rfc2136
