#pragma once
// One reap pass: list every ecssd-owned record of the zone (through the
// registry, owner "any", so nothing ecssd does not own is ever considered),
// ask ECS/EC2 about the task and instance behind each, health-check each
// target concurrently with rise/fall thresholds, decide, apply the safety
// valve, and delete the dead records through the registry in batches.
//
// The pass runs in named stages, each in its own file:
//   selection.h        what to judge and what to check, from the listing
//   cloud_verdicts.h   what ECS and EC2 say
//   check_scheduler.h  the health checks (HealthTracker thresholds)
//   decision.h         what is dead (the rules), and the safety valve
//   deletion.h         deleting through the registry; stopping failing tasks
//   report_builder.h   the report
#include <chrono>

#include "common/metrics.h"
#include "common/task.h"
#include "common/time_system.h"
#include "registry/registry.h"
#include "reaper/cloud_check.h"
#include "reaper/entry.h"
#include "reaper/options.h"
#include "health/check_metrics.h"
#include "health/probe.h"
#include "reaper/report.h"

namespace ecssd::reaper {

class Reaper {
 public:
  // Everything given must outlive the reaper. `cloud` may be null (no
  // ECS/EC2). `time` gives the clock and the timers the checks wait on.
  // `metrics` is where the reaper's series are made (the checks' outcomes
  // and durations).
  Reaper(registry::Registry& registry, health::Probe& probe, common::TimeSystem& time, ReaperOptions options,
         common::Scope metrics, CloudChecker* cloud = nullptr);
  ~Reaper();

  // One pass. Never throws; failures (listing, deletion, AWS calls, the
  // safety valve) are in the report (ok = false, errors) and logged once.
  // Must run on the executor the provider and probe use.
  common::Task<Report> run_pass();

  const ReaperOptions& options() const { return options_; }

 private:
  // The stages after the listing, on its owned records.
  common::Task<void> judge(Entries* entries, Report* report, common::SteadyTime started);
  common::Task<void> act(Entries* entries, Report* report);
  int64_t elapsed_ms(common::SteadyTime started) const;
  void finish(Report& report, common::SteadyTime started) const;

  registry::Registry& registry_;
  health::Probe& probe_;
  common::TimeSystem& time_;
  ReaperOptions options_;
  common::Scope metrics_;
  health::CheckMetrics check_metrics_;
  CloudChecker* cloud_;
};

}  // namespace ecssd::reaper
