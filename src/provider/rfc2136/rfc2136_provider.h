#pragma once
// The RFC 2136 provider: writes records into a zone that an existing DNS
// server holds (BIND, Knot, PowerDNS) with TSIG-signed dynamic updates, and
// reads it with TSIG-signed transfers, cached between runs.
//
// Reading: a copy of the zone is kept; each listing first asks the SOA
// serial and transfers only when it moved, by IXFR where the server offers
// it (dns::refresh). A failed or partial transfer leaves the copy as it was.
//
// Writing: one UPDATE message per batch (split only past 64 KiB), each
// change guarded by prerequisites (planner.h), then read back: the serial
// must have moved and the records must be there, else the change is
// reported failed with a line that says why (a server may answer NOERROR to
// an update its policy dropped, pdns #8422).
//
// No native set identifiers: records are listed as RRsets and the registry
// rebuilds ownership from the companions.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/metrics.h"
#include "common/time_system.h"
#include "dns/zone_copy.h"
#include "provider/provider.h"
#include "provider/rfc2136/errors.h"
#include "provider/rfc2136/planner.h"
#include "provider/rfc2136/transport.h"

namespace ecssd::provider::rfc2136 {

struct ProviderOptions {
  std::string zone;             // normalized
  std::string update_server;    // for messages: "127.0.0.1:53"
  std::string transfer_server;  // for messages
  std::string update_key;       // "name (algorithm)" or empty
  std::string transfer_key;
  std::string update_key_flag = "--tsig-key-file";
  std::string transfer_key_flag = "--tsig-key-file";
  // Each exchange is tried this often on a transient failure (connection
  // refused or lost, timeout, SERVFAIL), waiting retry_base, 2x, ... (capped,
  // with jitter) in between, through the TimeSystem.
  int attempts = 3;
  std::chrono::milliseconds retry_base{200};
  std::chrono::milliseconds retry_cap{2000};
};

class Rfc2136Provider final : public Provider {
 public:
  // `time` and the series made from `metrics` must outlive the provider.
  Rfc2136Provider(std::unique_ptr<Transport> transport, ProviderOptions options, common::TimeSystem& time,
                  const common::Scope& metrics);
  ~Rfc2136Provider() override;

  const std::string& zone() const override { return options_.zone; }
  Capabilities capabilities() const override { return {.set_identifiers = false, .writable = true}; }

  // Every RRset of the zone (SOA and NS included), one record per name and
  // type, canonical form, from the copy brought up to date first. Errors:
  // transient kUnavailable/kTimeout when the server cannot be reached (after
  // `attempts`); the transfer's refusal as a line (answer_error):
  // kPermissionDenied (key, policy), kNotFound (no such zone); kProtocol.
  // Never a partial listing.
  common::Task<common::Result<std::vector<model::Record>>> list() override;

  // Applies the raw changes grouped by Record::group (each group in one
  // message, all of it or none). Per-group outcomes in `failed`: kConflict
  // for what planner.h refuses, for a failed prerequisite (transient: the
  // zone changed since it was read; it is re-read now and the change is
  // re-planned at the next run), and for a read-back that does not show the
  // change; REFUSED for one group alone (the others go on, each group is
  // retried in its own message to find it). Whole-request errors (nothing is
  // known to be applied; the caller re-lists): the server unreachable after
  // `attempts` (transient), an answer that fails our TSIG check, BADSIG,
  // BADKEY, BADTIME, NOTAUTH, NOTZONE, NOTIMP, FORMERR (answer_error's lines).
  //
  // ApplyReport::applied lists the zone's RRsets that changed, as list()
  // would show them before and after (an RRset backend changes RRsets; the
  // caching decorator keeps its copy of the listing in step with it), not
  // the raw per-record changes; `requests` counts the UPDATE messages sent.
  common::Task<common::Result<ApplyReport>> apply(model::ChangeSet changes) override;

  // Name normalized, values as a transfer lists them, no weight (RRsets
  // have none); the set identifier is kept for the registry.
  model::Record canonicalize(model::Record r) const override;

 private:
  struct Metrics;
  struct Round;
  common::Task<common::Status> refresh();
  common::Task<common::Status> read_back(uint32_t serial_before, bool expect_change);
  common::Task<common::Result<dns::UpdateAnswer>> send(const dns::UpdateRequest& request);
  common::Task<common::Status> run_round(Round& round);
  void judge(Round& round, uint32_t serial_before, bool acknowledged);
  AnswerContext context(AnswerContext::Exchange exchange) const;
  ApplyReport report_of(const std::vector<model::Record>& before, const Round& round) const;

  std::unique_ptr<Transport> transport_;
  ProviderOptions options_;
  common::TimeSystem& time_;
  std::unique_ptr<Metrics> metrics_;
  dns::ZoneCopy copy_;
  bool serial_warned_ = false;
};

}  // namespace ecssd::provider::rfc2136
