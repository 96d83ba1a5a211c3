#pragma once
// A DNS backend: list the zone, apply a ChangeSet, canonicalise records the way
// the backend stores them, say which zone it serves (external-dns
// provider.Provider). Providers see raw records only: ownership labels are the
// registry's business and never reach a provider.
//
// Threading: every coroutine runs on the io_context the provider was built with;
// a provider is not shared across threads.
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "common/task.h"
#include "model/record.h"

namespace ecssd::provider {


struct Capabilities {
  // The backend stores set identifiers and weights itself (Route 53, embedded).
  // When false, the registry recovers them from its companion TXT records.
  bool set_identifiers = false;
  // The backend accepts changes (false for read-only listings such as AXFR).
  bool writable = true;
};

// What apply() did. Changes the backend refused (e.g. Route 53
// InvalidChangeBatch for one record) are in `failed` with the reason, the rest
// in `applied`; the caller keeps failed ones for the next run.
struct FailedChange {
  model::ChangeSet change;  // exactly one create, update or remove
  common::Error error;
};
struct ApplyReport {
  model::ChangeSet applied;
  std::vector<FailedChange> failed;
  // Requests sent to the backend (for metrics and the benchmark).
  size_t requests = 0;
};

class Provider {
 public:
  virtual ~Provider() = default;

  // The zone this provider serves: normalized, no trailing dot.
  virtual const std::string& zone() const = 0;
  // Every zone it serves, zone() first (several only for ZoneSplitProvider).
  virtual std::vector<std::string> zones() const { return {zone()}; }
  virtual Capabilities capabilities() const = 0;

  // Every record in the zone (including ones ecssd does not own), canonical
  // form, names normalized. Errors: transient (kUnavailable, kTimeout,
  // kThrottled) when the backend cannot be reached; kPermissionDenied,
  // kNotFound (zone gone) otherwise. Never a partial listing.
  virtual common::Task<common::Result<std::vector<model::Record>>> list() = 0;

  // Applies the changes. A whole-request failure (network, credentials) is an
  // error result and nothing is known to be applied; kThrottled says more:
  // the backend refused every request before applying any of it, so the zone
  // is as it was (a listing of it stays good). Per-change refusals are
  // reported in ApplyReport::failed. Deletes and updates name exactly the old
  // values as listed.
  virtual common::Task<common::Result<ApplyReport>> apply(model::ChangeSet changes) = 0;

  // When the backend would take the next request: `now`, or later for a
  // client that paces itself (Route 53 after throttling). The agent waits for
  // it before planning, so that one call carries every change made while it
  // waited, rather than sending a plan made before the wait and the changes
  // after it in a second call.
  virtual common::SteadyTime ready_at(common::SteadyTime now) const { return now; }
  // The record as this backend would store and list it (case, trailing dots,
  // TTL and weight rules), so plans compare like with like.
  virtual model::Record canonicalize(model::Record r) const { return r; }
};

}  // namespace ecssd::provider
