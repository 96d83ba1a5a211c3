#pragma once
// The health checks of one pass. Every target is probed until its
// HealthTracker gives it a verdict (rise/fall thresholds) or its checks run
// out, each check of a target starting at least one interval after the
// previous one started. One priority queue of due checks, earliest first,
// feeds at most `concurrency` workers, so no round waits for the slowest probe.
// Waits go through the TimeSystem: unit tests run a pass on simulated time.
#include <cstddef>
#include <string>
#include <vector>

#include "common/task.h"
#include "common/time_system.h"
#include "reaper/check.h"
#include "health/check_metrics.h"
#include "health/probe.h"
#include "health/tracker.h"

namespace ecssd::reaper {

// The shared health checks (src/health) this pass is made of.
using health::Health;
using health::HealthPolicy;
using health::HealthTracker;
using health::Probe;
using health::ProbeResult;

struct TargetResult {
  Health health = Health::kUnknown;  // kUnknown: no threshold reached (flapping)
  int checks = 0;                    // probes sent to it
  std::string detail;                // the last probe's answer
};

struct CheckResults {
  std::vector<TargetResult> targets;  // one per target, same order
  size_t probes = 0;                  // probes sent in all
  HealthPolicy policy;                // as applied (thresholds at least 1)
};

class CheckScheduler {
 public:
  // `probe` and `time` must outlive the scheduler. A concurrency of 0 is 1.
  // `metrics`, when given, is fed every check (outcome and duration).
  CheckScheduler(Probe& probe, common::TimeSystem& time, HealthPolicy policy, size_t concurrency,
                 health::CheckMetrics* metrics = nullptr);

  // Checks every target to a verdict. Never throws: a worker that fails is
  // logged ("health check worker failed") and the others carry on. Must run
  // on the executor the probe uses.
  common::Task<CheckResults> run(std::vector<CheckSpec> targets);

 private:
  struct Run;
  common::Task<void> worker(Run* run);

  Probe& probe_;
  common::TimeSystem& time_;
  HealthPolicy policy_;
  size_t concurrency_;
  health::CheckMetrics* metrics_;
};

}  // namespace ecssd::reaper
