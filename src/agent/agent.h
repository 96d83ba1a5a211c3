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
#include <boost/asio/steady_timer.hpp>

#include "common/backoff.h"
#include "common/result.h"
#include "model/record_builder.h"
#include "plan/plan.h"
#include "provider/cached_provider.h"
#include "registry/registry.h"
#include "source/source.h"

namespace ecssd::agent {

struct Options {
  model::RecordConfig records;
  // Changes go out once none arrived for this long, so that a burst becomes
  // one batch (0: the same loop turn)...
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
  Agent(boost::asio::io_context& io, source::Source& source, provider::CachedProvider& provider, Options options);
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
  provider::Task<common::Status> sync_once(std::chrono::milliseconds wait_for_source);
  // Withdraws every record this owner owns, then returns. For `--remove-all`.
  provider::Task<common::Status> remove_all();

  // True once stop() was called and the loop has left (nothing in flight).
  bool finished() const { return stopped_ && !loop_running_; }

  void add_observer(ChangeObserver* o) { observers_.push_back(o); }
  const Stats& stats() const { return stats_; }
  // Why the provider last failed (empty while it answers), for /readyz.
  const std::string& provider_error() const { return provider_error_; }
  registry::Registry& registry() { return registry_; }

 private:
  provider::Task<void> loop();
  // One plan run; returns an error when the provider failed or changes were refused.
  provider::Task<common::Status> reconcile();
  provider::Task<common::Status> apply(model::ChangeSet changes, std::vector<model::Record> owned_before);
  std::vector<model::Record> desired();
  void mark_dirty();
  void arm_resync();
  void note_provider(const common::Status& s);

  boost::asio::io_context& io_;
  source::Source& source_;
  provider::CachedProvider& provider_;
  registry::Registry registry_;
  Options options_;
  common::Backoff backoff_;
  boost::asio::steady_timer wake_;
  boost::asio::steady_timer sleep_;
  boost::asio::steady_timer resync_timer_;
  bool dirty_ = false;
  // When the first and the last change not yet planned arrived.
  std::chrono::steady_clock::time_point first_dirty_{};
  std::chrono::steady_clock::time_point last_dirty_{};
  bool running_ = false;
  bool stopped_ = false;
  bool loop_running_ = false;
  std::vector<ChangeObserver*> observers_;
  Stats stats_;
  // What was last logged, so each problem is logged once per state change.
  std::set<std::string> logged_rejections_;
  std::set<std::string> logged_conflicts_;
  std::set<std::string> logged_refusals_;
  std::string provider_error_;
};

}  // namespace ecssd::agent
