#pragma once
// Internal to src/source/docker: a full listing (GET /containers/json?all=1)
// made into the snapshot. The listing is the truth and events are hints: a
// container neither listed nor seen in an event since the listing was asked
// for is gone; one listed as not running stops publishing; the running ones
// are inspected, and the listing completes when they have answered.
//
// Never withdraw on ignorance: nothing is withdrawn without a listing or an
// event that says so. While the engine is away the table keeps what it knew,
// and until the first listing completes the source is not synced() (the agent
// plans nothing).
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "source/docker/container_table.h"
#include "source/docker/engine_client.h"

namespace ecssd::source {

struct ListedContainer {
  std::string state;  // "running", "exited", "created", ...
  std::string name;   // without the leading '/'
};
using Listing = std::map<std::string, ListedContainer>;

// Reads the answer to GET /containers/json. Entries without a usable Id are
// skipped. Errors: kUnavailable (transient) for a 5xx answer, kProtocol for
// another status or a body that is not a JSON array, naming the request.
common::Result<Listing> read_listing(const EngineResponse& response);

// Applies `listing`, asked for when the table's event sequence was `seq0`
// (containers with a newer event are left to that event's inspect): forgets
// the unlisted ("not listed"), marks the listed but not running as stopped
// (announcing the change with their state as the reason), and returns the
// running ones, to be inspected, in id order.
std::vector<std::string> reconcile(ContainerTable& table, const Listing& listing, uint64_t seq0);

// The bookkeeping of full listings: one at a time (one asked for while
// another runs runs after it), complete once the inspects of the running
// containers it found have answered.
class Resync {
 public:
  // A listing is wanted. True when it should start now; false when one is
  // running already (another runs once it completes).
  bool request();
  // The running listing was applied and waits for the inspects of `running`.
  // True when it is complete at once (nothing to wait for).
  bool applied(const std::vector<std::string>& running);
  // The inspect of `id` answered or its container went. True when that
  // completes the running listing.
  bool answered(const std::string& id);
  // Marks the running listing complete (synced() from now on). True when
  // another listing was asked for meanwhile: request() it.
  bool complete();
  // A new session: the running listing, if any, is abandoned.
  void reset();

  bool running() const { return running_; }
  // A listing has completed at least once.
  bool synced() const { return synced_; }
  uint64_t completed() const { return completed_; }

 private:
  bool running_ = false;
  bool applied_ = false;
  bool again_ = false;
  bool synced_ = false;
  uint64_t completed_ = 0;
  std::set<std::string> waiting_;  // running containers whose inspect the listing waits for
};

}  // namespace ecssd::source
