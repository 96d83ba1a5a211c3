#pragma once
// The agent's health gate: the stage between the source's services and the
// records. A service that declares a check (or every TCP service under
// --check-all tcp) is admitted for publication only once its check passed
// `rise` times, and held back again after `fall` failures in a row; a check
// that flaps (more than --check-flap-limit verdict changes a minute) is held
// withdrawn until it has passed for a minute. Services without a check pass
// through unchanged, as without the gate.
//
// Checks run on the agent's event loop: one scheduler coroutine, one timer,
// a queue of due checks, at most `concurrency` probes in flight; no thread
// per check. A verdict change logs one line, adds one event, and calls
// on_change (the agent then plans, and a plan run that changes nothing sends
// nothing to the provider); a probe that changes nothing does none of these.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <tuple>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "agent/event_log.h"
#include "agent/service_check.h"
#include "common/metrics.h"
#include "common/task.h"
#include "common/time_system.h"
#include "health/check_metrics.h"
#include "health/flap_guard.h"
#include "health/probe.h"
#include "health/tracker.h"
#include "model/service.h"

namespace ecssd::agent {

struct HealthGateOptions {
  CheckSettings checks;
  health::FlapPolicy flap;  // --check-flap-limit
  size_t concurrency = 256;  // probes in flight at most
};

enum class GateState {
  kUnchecked,  // no check: published as it comes
  kWaiting,    // checked, no verdict yet: not published
  kPassing,    // published
  kFailing,    // `fall` failures in a row: withdrawn
  kHeld,       // flapping: withdrawn until stable
};
// "unchecked", "waiting", "passing", "failing", "held".
const char* to_string(GateState s);

// One instance as the status page shows it.
struct InstanceStatus {
  std::string key;  // instance_key()
  model::Service service;
  ServiceCheck check;
  std::string target;  // where its records point ("10.0.0.1:18081"), checked or not
  GateState state = GateState::kUnchecked;
  bool admitted = false;            // handed on to the records
  common::SystemTime since{};       // in this state since
  common::SteadyTime ready_at{};    // when it was last admitted (for the publication latency)
  std::string last_result;          // the last probe's answer
  bool last_ok = false;
  common::SystemTime last_checked{};  // zero: not checked yet
  double last_ms = 0;
  int successes = 0;  // in a row
  int failures = 0;   // in a row
  size_t flaps = 0;   // verdict changes within the flap window
};

// "<container id>|<port>/<proto>": one service of one container, as its
// records' container and port labels name it.
std::string instance_key(const model::Service& s);
std::string instance_key(std::string_view container_id, std::string_view port);

class HealthGate {
 public:
  // `probe`, `time`, `events` and the registry behind `metrics` must outlive
  // the gate and the work it leaves on `io`; `events` may be null.
  HealthGate(boost::asio::io_context& io, health::Probe& probe, HealthGateOptions options, common::TimeSystem& time,
             common::Scope metrics, EventLog* events);
  ~HealthGate();
  HealthGate(const HealthGate&) = delete;
  HealthGate& operator=(const HealthGate&) = delete;

  // Starts the scheduler; `on_change` is called on the io_context when what
  // admit() lets through may have changed.
  void start(std::function<void()> on_change);
  // Stops scheduling; probes in flight end within their timeout.
  void stop();
  // True once stop() was called and nothing of the gate is left on the loop.
  bool finished() const { return stopped_ && !loop_running_ && in_flight_ == 0; }

  // The stage itself, called by each plan run with the source's services:
  // starts checking new ones, forgets those gone, and returns those that may
  // be published, passing ones carrying their verdict. `published` maps this
  // owner's instances now in the zone to their health-since label (0 when
  // none): a checked instance without a verdict yet that is already published
  // (the agent restarted) stays published until its own checks fail.
  std::vector<model::Service> admit(std::vector<model::Service> services,
                                    const std::map<std::string, int64_t>& published);

  // Resolves once every checked instance has a verdict (for --once), or at
  // `deadline`.
  common::Task<void> settle(common::SteadyTime deadline);

  // The checked instances. A service without a check keeps no state in the
  // gate (500 of them cost ~1 MB when each had an entry): instances(current)
  // describes those of `current`, the source's services, from the service.
  std::vector<InstanceStatus> instances() const;
  std::vector<InstanceStatus> instances(const std::vector<model::Service>& current) const;
  // A checked instance; null for one without a check, or unknown.
  const InstanceStatus* find(const std::string& key) const;
  // When `key` became publishable: a checked one when it was last admitted,
  // one without a check when the gate first saw it unpublished (for the
  // publication latency); nullopt when unknown or not admitted.
  std::optional<common::SteadyTime> ready_at(const std::string& key) const;
  // How many instances are in `state`, without copying them (every plan run
  // counts them for the services-by-state gauge).
  size_t count(GateState state) const;

 private:
  struct Entry;
  using Due = std::tuple<common::SteadyTime, uint64_t, std::string, uint64_t>;  // at, order, key, generation

  common::Task<void> loop();
  common::Task<void> probe_one(std::string key, uint64_t generation, health::CheckSpec spec);
  void finish(const std::string& key, uint64_t generation, const health::ProbeResult& result,
              common::SteadyTime started);
  void apply_verdict(Entry& e, bool transition);
  void enter(Entry& e, GateState state, const std::string& why);
  void schedule(const std::string& key, uint64_t generation, common::SteadyTime at);
  void poke();
  void note(Entry& e, std::string kind, std::string level, std::string detail);
  Entry make_entry(model::Service s, ServiceCheck check, const std::map<std::string, int64_t>& published);
  InstanceStatus describe_unchecked(const model::Service& s) const;
  bool settled() const;

  boost::asio::io_context& io_;
  health::Probe& probe_;
  HealthGateOptions options_;
  common::TimeSystem& time_;
  EventLog* events_;
  health::CheckMetrics check_metrics_;
  std::function<void()> on_change_;
  std::unique_ptr<common::Timer> wake_;
  std::unique_ptr<common::Timer> settle_;
  std::map<std::string, Entry> entries_;  // checked instances only
  // Unchecked instances seen and not yet in the zone: when first seen.
  std::map<std::string, common::SteadyTime> unpublished_since_;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> queue_;
  uint64_t order_ = 0;
  uint64_t generation_ = 0;
  uint64_t admission_ = 0;  // admit() calls, to tell which entries the last one saw
  size_t in_flight_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  bool loop_running_ = false;
};

}  // namespace ecssd::agent
