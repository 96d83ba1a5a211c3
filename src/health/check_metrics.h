#pragma once
// The series every health check feeds, in the agent and in the reaper alike:
// ecssd_health_checks_total{outcome} and ecssd_health_check_duration_seconds.
#include <array>

#include "common/clock.h"
#include "common/metrics.h"
#include "health/probe.h"

namespace ecssd::health {

class CheckMetrics {
 public:
  // The series are made from `scope` (whose registry must outlive this).
  explicit CheckMetrics(const common::Scope& scope);
  // One check that took `took` and ended with `result`.
  void record(const ProbeResult& result, common::Duration took);

 private:
  std::array<common::Counter*, 5> by_outcome_{};
  common::Histogram& duration_;
};

}  // namespace ecssd::health
