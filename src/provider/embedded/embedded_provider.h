#pragma once
// The default provider: the agent's own authoritative DNS responder. Records
// are kept in memory (an InMemoryProvider); every applied change builds a new
// immutable zone snapshot and swaps it into the responder, whose threads go
// on answering while the agent works.
#include <memory>

#include <boost/asio/io_context.hpp>

#include "common/time_system.h"
#include "common/metrics.h"
#include "dns/responder.h"
#include "dns/zone.h"
#include "provider/inmemory/inmemory_provider.h"
#include "provider/provider.h"

namespace ecssd::provider {

struct EmbeddedOptions {
  // zone (required), ns_name, hostmaster, SOA timers and TTLs, negative TTL.
  dns::ZoneOptions zone;
  // listen (default 127.0.0.1:8053, the --dns-listen flag), threads, TCP limits.
  dns::ResponderOptions responder;
};

class EmbeddedProvider final : public Provider {
 public:
  // `io` is the agent's io_context (used by the responder only when
  // responder.threads == 0). `time` gives the SOA serials (unix seconds) and,
  // unless responder.time is set, the responder's timers; it must outlive the
  // provider. `metrics`: the scope of the responder's series (ecssd_dns_*),
  // unless responder.metrics is set.
  EmbeddedProvider(boost::asio::io_context& io, EmbeddedOptions options, common::TimeSystem& time,
                   common::Scope metrics);
  // Another zone on `primary`'s responder (several --zone): `zone` is this
  // zone's options (primary's responder options are used); start() publishes
  // it there, and only `primary` binds and stops the responder. `primary`
  // must be started first.
  EmbeddedProvider(EmbeddedProvider& primary, dns::ZoneOptions zone, common::Scope metrics);
  ~EmbeddedProvider() override;

  // Checks the options, publishes the empty zone (SOA and NS) and binds the
  // responder. Errors: kInvalidArgument for bad zone or listen options;
  // kUnavailable naming the address when it cannot bind (port taken).
  common::Status start();
  void stop();

  const std::string& zone() const override { return zone_; }
  Capabilities capabilities() const override { return {.set_identifiers = true, .writable = true}; }

  // The records applied so far plus the apex SOA and NS (which ecssd does not
  // own). Never fails.
  common::Task<common::Result<std::vector<model::Record>>> list() override;

  // Applies each change on its own: one the zone cannot hold (outside the
  // zone, bad value, unsupported type, a CNAME beside other data at a name,
  // the apex SOA/NS) is reported failed with kInvalidArgument; a record to
  // update or delete that is not as listed fails with kConflict (as
  // InMemoryProvider). When anything was applied a new snapshot (serial =
  // max(previous + 1, unix time)) is served before this returns. Whole-request
  // errors: kUnavailable when start() has not succeeded.
  common::Task<common::Result<ApplyReport>> apply(model::ChangeSet changes) override;

  // Name normalized and values as the zone lists them back (dns::canonical_record);
  // a record that does not parse is returned unchanged (apply() will refuse it).
  model::Record canonicalize(model::Record r) const override;

  std::shared_ptr<const dns::ZoneSnapshot> snapshot() const { return snapshot_; }
  dns::Responder& responder() { return *responder_; }

 private:
  common::Status check(const model::ChangeSet& one) const;
  void index(const model::Record& r, int delta);
  common::Status publish();
  uint32_t next_serial();

  EmbeddedOptions options_;
  std::string zone_;
  const common::TimeSource& time_;
  common::Scope metrics_;
  InMemoryProvider store_;
  std::shared_ptr<dns::Responder> responder_;
  bool owns_responder_ = true;
  std::shared_ptr<const dns::ZoneSnapshot> snapshot_;
  uint32_t serial_ = 0;
  bool started_ = false;
  // Per name: how many CNAME records and how many of other types are stored,
  // so that a change breaking the CNAME rule is refused before it is applied.
  std::map<std::string, std::pair<int, int>, std::less<>> kinds_;
};

}  // namespace ecssd::provider
