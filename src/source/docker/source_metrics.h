#pragma once
// Internal to src/source/docker: the Docker source's Prometheus series, made
// from the Scope the source is given (one engine per agent). The counters of
// DockerSourceStatus count the same things; each stage bumps both.
#include <string>

#include "common/metrics.h"

namespace ecssd::source {

struct SourceMetrics {
  explicit SourceMetrics(const common::Scope& scope);

  // ecssd_docker_engine_info{api_version, engine} = 1 for the engine in use
  // (0 for one used before).
  void set_engine_info(const std::string& api_version, const std::string& engine, bool on) const;

  common::Scope scope;
  common::Gauge& connected;
  common::Counter& events;
  common::Counter& malformed;
  common::Counter& reconnects;
  common::Counter& resyncs;
  common::Counter& inspects;
  common::Counter& stale_inspects;
  common::Counter& rejections;
};

}  // namespace ecssd::source
