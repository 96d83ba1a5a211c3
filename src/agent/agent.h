#pragma once
// The agent's control loop: events change the desired snapshot (in the
// source); a coalesced plan run lists the provider (through the cache), plans
// against this host's owned records and applies the difference through the
// registry. A periodic resync repairs drift. One plan run at a time.
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include <boost/asio/io_context.hpp>

#include "common/backoff.h"
#include "common/metrics.h"
#include "common/result.h"
#include "common/task.h"
#include "common/time_system.h"
#include "agent/health_gate.h"
#include "model/record_builder.h"
#include "plan/plan.h"
#include "provider/cached_provider.h"
#include "registry/registry.h"
#include "source/source.h"

namespace ecssd::agent {

struct Options {
  model::RecordConfig records;
  // The first change after this long without a plan run goes out at once;
  // the changes that follow it go out once none arrived for this long, so
  // that a burst becomes one batch (0: every change in the same loop turn)...
  std::chrono::milliseconds batch_interval{0};
  // ...but while changes keep arriving, the first waits at most this long
  // (a batch at least every batch_max_delay during a long burst; not less
  // than batch_interval).
  std::chrono::milliseconds batch_max_delay{0};
  // Full relisting of the engine and the provider.
  std::chrono::milliseconds resync{std::chrono::seconds(60)};
  // Log the plan, change nothing.
  bool dry_run = false;
  // Retry after a failed run: capped exponential backoff with jitter.
  std::chrono::milliseconds retry_base{std::chrono::milliseconds(500)};
  std::chrono::milliseconds retry_cap{std::chrono::seconds(30)};
};

// Told about every change set that was applied (EventBridge notifications,
// metrics). Called on the agent's io_context, after the changes were applied;
// must not block.
class ChangeObserver {
 public:
  virtual ~ChangeObserver() = default;
  // `applied`: what the provider accepted (labeled records). `owned_before`:
  // this owner's records as listed by the plan run that made the changes, so
  // an observer can tell a container's first record from its others.
  virtual void on_applied(const model::ChangeSet& applied, const std::vector<model::Record>& owned_before) = 0;
  // After every plan run that reached the provider: this owner's records as
  // they are now (the listing with the changes applied), for status pages.
  virtual void on_owned(const std::vector<model::Record>& owned) { (void)owned; }
};

struct Stats {
  uint64_t plan_runs = 0;
  uint64_t records_created = 0;
  uint64_t records_updated = 0;
  uint64_t records_removed = 0;
  uint64_t apply_failures = 0;  // changes refused or requests failed
  uint64_t provider_requests = 0;
  size_t published = 0;  // owned records after the last successful run
  bool source_synced = false;
  bool provider_ok = false;  // the last listing or apply succeeded
  bool converged = false;    // the last run left nothing to do
};

class Agent {
 public:
  // `source`, `provider` and `time` must outlive the agent; every wait
  // (batching, retry backoff, resync, sync_once's wait for the source) is on
  // a timer of `time`. Its series (ecssd_plan_runs_total, ...) are made from
  // `metrics`. Destroy it only after stop() and once the io_context has run
  // what stop() ended (finished() is true).
  Agent(boost::asio::io_context& io, source::Source& source, provider::CachedProvider& provider, Options options,
        common::TimeSystem& time, common::Scope metrics);
  ~Agent();

  // Starts the source, the plan loop and the resync timer.
  void start();
  // Stops the loop, the timers and the source. An apply already sent completes.
  void stop();
  // Drops the provider cache and relists the engine (SIGHUP, the resync timer).
  void resync();

  // One reconcile against a fresh listing, after the source has synced (waiting
  // up to `wait_for_source`). For `--once`. Errors: the source never synced,
  // the provider failed, or some changes were refused.
  common::Task<common::Status> sync_once(std::chrono::milliseconds wait_for_source);
  // Withdraws every record this owner owns, then returns. For `--remove-all`.
  common::Task<common::Status> remove_all();

  // True once stop() was called and the loop has left (nothing in flight).
  bool finished() const { return stopped_ && !loop_running_ && !resync_running_ && (!gate_ || gate_->finished()); }

  void add_observer(ChangeObserver* o) { observers_.push_back(o); }
  // Puts the health gate between the source's services and the records
  // (before start() or sync_once()); it must outlive the agent. Without one,
  // every service the source has is published.
  void set_gate(HealthGate* gate) { gate_ = gate; }
  // The source's services now (each one the status page lists).
  std::vector<model::Service> services() const { return source_.services(); }
  // The services the last plan run could not publish, and why.
  const std::vector<model::Rejection>& rejections() const { return rejections_; }
  const Stats& stats() const { return stats_; }
  // Why the provider last failed (empty while it answers), for /readyz.
  const std::string& provider_error() const { return provider_error_; }
  registry::Registry& registry() { return registry_; }

 private:
  struct Metrics;

  common::Task<void> loop();
  // Waits for a quiet batch_interval, at most batch_max_delay after the first
  // pending change.
  common::Task<void> debounce();
  common::Task<void> resync_loop();
  // One plan run; returns an error when the provider failed or changes were refused.
  common::Task<common::Status> reconcile();
  common::Task<common::Status> apply(model::ChangeSet changes, std::vector<model::Record> owned_before);
  std::vector<model::Record> desired(const std::vector<model::Record>& owned);
  common::Task<void> first_verdicts(common::SteadyTime deadline);
  void tell_owned(const std::vector<model::Record>& owned);
  void note_refusals(const std::vector<model::Refusal>& refused);
  void mark_dirty();
  void note_provider(const common::Status& s);
  // Waits (on sleep_) until the provider takes the next request.
  common::Task<void> wait_until_ready();
  // `s` is a throttle the provider paces itself after: plan again when it
  // allows, without the failure backoff.
  bool paced_retry(const common::Status& s) const;

  boost::asio::io_context& io_;
  source::Source& source_;
  provider::CachedProvider& provider_;
  registry::Registry registry_;
  Options options_;
  common::TimeSystem& time_;
  std::unique_ptr<Metrics> metrics_;
  common::Backoff backoff_;
  // wake_: the idle loop's (cancelled by every change); sleep_: debounce and
  // backoff; resync_timer_: the periodic resync.
  std::unique_ptr<common::Timer> wake_;
  std::unique_ptr<common::Timer> sleep_;
  std::unique_ptr<common::Timer> resync_timer_;
  bool dirty_ = false;
  // When the first and the last change not yet planned arrived.
  common::SteadyTime first_dirty_{};
  common::SteadyTime last_dirty_{};
  // When the last plan run ended (ran_: there was one): a change that
  // comes after a quiet batch_interval goes out at once.
  common::SteadyTime last_run_{};
  bool ran_ = false;
  bool running_ = false;
  bool stopped_ = false;
  bool loop_running_ = false;
  bool resync_running_ = false;
  std::vector<ChangeObserver*> observers_;
  HealthGate* gate_ = nullptr;
  std::vector<model::Rejection> rejections_;
  Stats stats_;
  // What was last logged, so each problem is logged once per state change.
  std::set<std::string> logged_rejections_;
  std::set<std::string> logged_conflicts_;
  std::set<std::string> logged_refusals_;
  std::set<std::string> logged_name_refusals_;  // by the name policy (--allow-name, --deny-name)
  std::string provider_error_;
};

}  // namespace ecssd::agent
