#pragma once
// A read-only provider that lists a zone by zone transfer (AXFR) from a DNS
// server: `ecssd records` and `ecssd reap` use it against a running agent's
// embedded responder (or any server that allows the transfer). AXFR carries
// no set identifiers: records come back as RRsets and the registry rebuilds
// ownership and set identifiers from the companion TXT records.
#include <chrono>
#include <string>

#include "provider/provider.h"

namespace ecssd::provider {

struct AxfrProviderOptions {
  std::string zone;
  std::string server = "127.0.0.1:8053";  // "address:port"
  std::chrono::milliseconds timeout{5000};
  size_t max_bytes = 64u << 20;
};

class AxfrProvider final : public Provider {
 public:
  explicit AxfrProvider(AxfrProviderOptions options);

  const std::string& zone() const override { return zone_; }
  Capabilities capabilities() const override { return {.set_identifiers = false, .writable = false}; }

  // One record per name and type (values = every RDATA), SOA and NS
  // included, canonical form. Errors: those of dns::axfr() (transient
  // kUnavailable/kTimeout; kPermissionDenied when the server refuses the
  // transfer or is not authoritative for the zone; kTooLarge; kProtocol).
  common::Task<common::Result<std::vector<model::Record>>> list() override;

  // Always kPermissionDenied: a transfer cannot change the zone.
  common::Task<common::Result<ApplyReport>> apply(model::ChangeSet changes) override;

  // Name normalized and values as a transfer lists them (dns::canonical_record).
  model::Record canonicalize(model::Record r) const override;

 private:
  AxfrProviderOptions options_;
  std::string zone_;
};

}  // namespace ecssd::provider
