#pragma once
// EventBridge notifications of the agent (`--events-bus NAME`): one PutEvents
// entry (source "ecssd") per container whose DNS presence changed in an
// applied change set:
//   "Container Started": the container's first record was published;
//   "Container Stopped": its last record was withdrawn.
// The detail names the container (id, name), its services and the records
// concerned, this host, and on ECS the task ARN and cluster (from the labels
// com.amazonaws.ecs.task-arn / com.amazonaws.ecs.cluster, carried in the
// records' ownership labels).
//
// Events go to an EventSink (EventBridge on AWS, see agent/event_sink.h).
// They are sent after the records were applied, from a queue drained by
// one coroutine on the agent's io_context: DNS work never waits for
// EventBridge. Failed calls are retried while they are transient, then the
// events are dropped; every failure is logged (once per distinct error) and
// counted (ecssd_events_failed_total). The queue is bounded; an event that
// does not fit is dropped and counted (ecssd_events_dropped_total).
#include <chrono>
#include <deque>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "agent/agent.h"
#include "agent/event_sink.h"
#include "common/backoff.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "common/task.h"
#include "common/time_system.h"
#include "model/record_builder.h"

namespace ecssd::agent {

inline constexpr std::string_view kEventSource = "ecssd";
inline constexpr std::string_view kContainerStarted = "Container Started";
inline constexpr std::string_view kContainerStopped = "Container Stopped";

struct EventNotifierOptions {
  std::string bus;  // event bus name or ARN (--events-bus)
  std::string zone;                // the first --zone
  std::vector<std::string> zones;  // every served zone (empty: only `zone`); an event names its container's
  model::HostIdentity host;
  // Events waiting to be sent; more are dropped (and counted).
  size_t max_queued = 10'000;
  // Attempts per send while the failure is transient (throttled,
  // unreachable), with capped exponential backoff between them.
  int attempts = 4;
  std::chrono::milliseconds retry_base{500};
  std::chrono::milliseconds retry_cap{10'000};
};

struct EventNotifierStats {
  uint64_t queued = 0;   // events made
  uint64_t sent = 0;     // accepted by the sink (EventBridge)
  uint64_t failed = 0;   // rejected, or their call failed for good
  uint64_t dropped = 0;  // did not fit in the queue, or left at stop()
  uint64_t calls = 0;    // sink calls made (retries included)
};

// The events one applied change set means, given this owner's records as
// listed before it was applied (pure, for tests). Records without a
// container label (the host's own A/AAAA record) make no event.
std::vector<Event> container_events(const model::ChangeSet& applied, const std::vector<model::Record>& owned_before,
                                    const EventNotifierOptions& options, common::SystemTime now);

class EventNotifier final : public ChangeObserver {
 public:
  // `sink` and `time` must outlive the notifier; retries wait on timers of
  // `time`. Its series (ecssd_events_*_total) are made from `metrics`.
  // Destroy it only after stop() and once the io_context has run what stop()
  // ended.
  EventNotifier(boost::asio::io_context& io, EventSink& sink, EventNotifierOptions options, common::TimeSystem& time,
                common::Scope metrics);
  ~EventNotifier() override;

  // Queues the events of `applied` and wakes the sender. Never blocks.
  void on_applied(const model::ChangeSet& applied, const std::vector<model::Record>& owned_before) override;

  // Stops sending: the call in flight completes, what is still queued is
  // dropped (and counted). Idempotent.
  void stop();

  // True when nothing is queued or being sent.
  bool idle() const { return queue_.empty() && !in_flight_; }

  const EventNotifierStats& stats() const { return stats_; }

 private:
  struct Metrics;

  common::Task<void> send_loop();
  void note_failure(const std::string& what, size_t events);

  boost::asio::io_context& io_;
  EventSink& sink_;
  EventNotifierOptions options_;
  common::TimeSystem& time_;
  std::unique_ptr<Metrics> metrics_;
  common::Backoff backoff_;
  std::unique_ptr<common::Timer> retry_timer_;
  std::deque<Event> queue_;
  bool sending_ = false;    // the send loop runs
  bool in_flight_ = false;  // a call is out
  bool stopped_ = false;
  EventNotifierStats stats_;
  std::string last_failure_;  // logged once per distinct error
};

}  // namespace ecssd::agent
