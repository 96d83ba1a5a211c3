#pragma once
// One reap pass: list every ecssd-owned record of the zone (through the
// registry, owner "any", so nothing ecssd does not own is ever considered),
// ask ECS/EC2 about the task and instance behind each, health-check each
// target concurrently with rise/fall thresholds, decide, apply the safety
// valve, and delete the dead records through the registry in batches.
//
// Decisions, in order, for a service record:
//   - ECS says its task stopped, or EC2 says its instance stopped/terminated:
//     dead, even if something answers on the port (it may be another container).
//   - its labels describe no usable check, or check=none (UDP): kept.
//   - started less than `grace` ago: kept, not probed.
//   - `fall` consecutive failed checks: dead; otherwise kept.
// A host record (kind=host) is deleted only when no record of its owner stays;
// a record whose companion TXT is missing only when all its owner's other
// records are dead. If more than max_delete_fraction of the owned records would
// go, nothing is deleted (unless force) and the pass fails.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "registry/registry.h"
#include "reaper/cloud_check.h"
#include "reaper/health_tracker.h"
#include "reaper/probe.h"
#include "reaper/report.h"
#include "reaper/sleeper.h"

namespace ecssd::reaper {

inline constexpr std::string_view kStopReason = "ecssd health check failed";

struct ReaperOptions {
  HealthPolicy health;                            // --fail-threshold, --rise-threshold, --check-interval
  std::chrono::milliseconds check_timeout{2000};  // --check-timeout: when the record has no check-timeout label
  std::chrono::milliseconds grace{60'000};        // --grace
  size_t concurrency = 256;                       // --concurrency: probes in flight at most
  double max_delete_fraction = 0.5;               // --max-delete-fraction
  bool force = false;                             // --force: ignore the safety valve
  bool dry_run = false;                           // --dry-run: decide and report, change nothing
  // --stop-failing-tasks: stop the ECS task of a record whose HTTP check
  // reached the fail threshold (needs a CloudChecker that asks ECS).
  bool stop_failing_tasks = false;
};

class Reaper {
 public:
  // Everything given must outlive the reaper. `cloud` may be null (no ECS/EC2).
  Reaper(registry::Registry& registry, Probe& probe, Sleeper& sleeper, const common::TimeSource& time,
         ReaperOptions options, CloudChecker* cloud = nullptr);
  ~Reaper();

  // One pass. Never throws; failures (listing, deletion, AWS calls, the
  // safety valve) are in the report (ok = false, errors) and logged once.
  // Must run on the executor the provider and probe use.
  Task<Report> run_pass();

  const ReaperOptions& options() const { return options_; }

 private:
  struct Entry;
  struct CheckRun;
  Task<void> run_checks(CheckRun* run);
  Task<void> check_worker(CheckRun* run);
  Task<void> delete_records(std::vector<Entry*> doomed, Report* report);
  Task<void> stop_failing_tasks(std::vector<Entry*>* entries, Report* report);

  registry::Registry& registry_;
  Probe& probe_;
  Sleeper& sleeper_;
  const common::TimeSource& time_;
  ReaperOptions options_;
  CloudChecker* cloud_;
};

}  // namespace ecssd::reaper
