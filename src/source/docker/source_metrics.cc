#include "source/docker/source_metrics.h"

namespace ecssd::source {

SourceMetrics::SourceMetrics(const common::Scope& s)
    : scope(s),
      connected(s.gauge("ecssd_docker_connected", "1 while the container engine's event stream is open")),
      events(s.counter("ecssd_docker_events_total", "Container engine events decoded")),
      malformed(s.counter("ecssd_docker_malformed_events_total",
                          "Container engine events skipped as malformed or oversized")),
      reconnects(s.counter("ecssd_docker_reconnects_total", "Connections to the container engine after the first")),
      resyncs(s.counter("ecssd_docker_resyncs_total", "Full container listings completed")),
      inspects(s.counter("ecssd_docker_inspects_total", "Container inspect requests sent")),
      stale_inspects(s.counter("ecssd_docker_stale_inspects_total",
                               "Inspect answers dropped because a newer event had arrived")),
      rejections(s.counter("ecssd_docker_rejected_variables_total",
                           "SERVICE_ variables rejected (logged once per container)")) {}

void SourceMetrics::set_engine_info(const std::string& api_version, const std::string& engine, bool on) const {
  scope
      .gauge("ecssd_docker_engine_info", "The container engine in use and the API version spoken with it",
             {{"api_version", api_version}, {"engine", engine}})
      .set(on ? 1 : 0);
}

}  // namespace ecssd::source
