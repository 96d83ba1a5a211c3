#pragma once
// The Docker (and Podman) source: the services of this host's containers, kept
// current from the Engine API. Start-up lists every container and inspects the
// running ones; GET /events then says which container to look at again. The
// stream is only a hint (the engine keeps its last 256 events and drops events
// for a slow reader): every reconnect replays from the last event seen
// (since=) and relists everything, and an inspect result older than the newest
// event for its container is thrown away (generation counter).
//
// Events act at once only to withdraw: die, stop, pause, cleanup (Podman), a
// kill with SIGTERM/SIGKILL/SIGINT/SIGQUIT, an unhealthy health_status. A run
// stopped by such a kill or stop stays unpublished while its process drains,
// until the container starts again. Everything else (start, healthy, unpause,
// rename, ...) is confirmed by an inspect first; destroy/remove forget the
// container; exec_* and other noise is ignored. Replayed events (since=) only
// ask for an inspect.
//
// The stages, each in its own file: engine_session (connection, API version,
// event stream, reconnect backoff), event_meaning (what each event does),
// inspect_queue (bounded, de-duplicated inspects and reading their answers),
// reconcile (a full listing made into the snapshot), container_table (the
// snapshot and its change log).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "common/metrics.h"
#include "common/result.h"
#include "common/time_system.h"
#include "source/docker/docker_host.h"
#include "source/source.h"

namespace ecssd::source {

struct DockerSourceOptions {
  // "unix:///var/run/docker.sock" (required; default_docker_host(env) gives
  // the default).
  std::string docker_host;
  // The network whose address a container target uses (--network).
  std::string network;
  // Publish containers with a failing or starting HEALTHCHECK too.
  bool ignore_health = false;
  // Deadline of each request (ping, list, inspect, opening the stream).
  std::chrono::milliseconds request_timeout{10'000};
  // Bound on one response body (list, inspect) and on one event.
  size_t max_response_bytes = size_t{16} << 20;
  size_t max_event_bytes = size_t{1} << 20;
  // Reconnect delays: capped exponential backoff with full jitter.
  std::chrono::milliseconds backoff_base{250};
  std::chrono::milliseconds backoff_cap{30'000};
  // Inspect requests in flight at once (a burst of starts queues behind them).
  size_t max_concurrent_inspects = 8;
};

// Checks options before use. Errors: kInvalidArgument naming the bad option
// (docker host empty or not a unix socket, zero timeout or bounds, backoff
// cap < base).
common::Status validate(const DockerSourceOptions& options);

struct DockerSourceStatus {
  bool connected = false;    // the event stream is open
  bool synced = false;       // a full listing has completed at least once
  std::string api_version;   // in use, e.g. "1.41"; empty before the first ping
  std::string engine;        // the engine's Server header, e.g. "Docker/20.10.24 (linux)"
  uint64_t events_seen = 0;  // decoded events (every type and action)
  uint64_t malformed_events = 0;
  uint64_t reconnects = 0;      // successful connections after the first
  uint64_t resyncs = 0;         // completed full listings
  uint64_t inspects = 0;        // inspect requests sent
  uint64_t stale_inspects = 0;  // inspect results dropped for a newer event
  uint64_t rejections_logged = 0;
  size_t containers = 0;   // containers known (any state)
  size_t inspects_queued = 0;     // never more than `containers`
  size_t inspects_in_flight = 0;  // never more than max_concurrent_inspects
  std::string last_error;  // why the engine was last unreachable
};

class DockerSource final : public Source {
 public:
  // Throws std::invalid_argument when validate(options) fails (start-up only).
  // Reconnect backoff waits on timers of `time`; the ecssd_docker_* series are
  // made from `scope`. `time` and the Metrics behind `scope` must outlive the
  // source and the work it leaves on `io`.
  DockerSource(boost::asio::io_context& io, DockerSourceOptions options, common::TimeSystem& time,
               common::Scope scope);
  ~DockerSource() override;
  DockerSource(const DockerSource&) = delete;
  DockerSource& operator=(const DockerSource&) = delete;

  // Source. start() connects in the background: it never fails and never
  // throws; an unreachable engine is retried with backoff and logged once per
  // state change. After stop() the object may be destroyed; operations still
  // queued on the io_context finish harmlessly.
  void start(std::function<void()> on_change) override;
  void stop() override;
  // Services of running containers (healthy ones when they have a health check,
  // unless ignore_health), sorted by container id, port and protocol. After a
  // disconnection the last known snapshot is kept until the next full listing.
  std::vector<model::Service> services() const override;
  bool synced() const override;
  void resync() override;

  // For status pages and metrics.
  DockerSourceStatus status() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace ecssd::source
