#include "health/check_metrics.h"

#include <string>

namespace ecssd::health {

CheckMetrics::CheckMetrics(const common::Scope& scope)
    : duration_(scope.histogram("ecssd_health_check_duration_seconds", "Time one health check took")) {
  for (Outcome o : {Outcome::kPass, Outcome::kStatus, Outcome::kTimeout, Outcome::kRefused, Outcome::kError}) {
    by_outcome_[static_cast<size_t>(o)] = &scope.counter(
        "ecssd_health_checks_total", "Health checks by outcome", {{"outcome", std::string(to_string(o))}});
  }
}

void CheckMetrics::record(const ProbeResult& result, common::Duration took) {
  by_outcome_[static_cast<size_t>(result.outcome)]->inc();
  duration_.observe(std::chrono::duration<double>(took).count());
}

}  // namespace ecssd::health
