#include "agent/agent.h"

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "common/log.h"
#include "common/metrics.h"

namespace ecssd::agent {
namespace {

namespace asio = boost::asio;
using common::Status;
using model::Record;

std::string target_of(const Record& r) {
  std::string out;
  for (const auto& v : r.values) {
    if (!out.empty()) out += ",";
    out += v;
  }
  return out;
}

void log_change(std::string_view what, const Record& r, bool dry_run) {
  std::string msg = dry_run ? fmt::format("would {}", what) : fmt::format("record {}", what);
  log::info(msg, {{"name", r.name},
                  {"type", model::to_string(r.type)},
                  {"target", target_of(r)},
                  {"container", r.label_or(model::label::kContainerName, r.label_or(model::label::kKind))},
                  {"set", r.set_identifier}});
}

struct AgentMetrics {
  common::Counter& plan_runs = common::Metrics::global().counter("ecssd_plan_runs_total", "Plan runs of the agent");
  common::Counter& created = common::Metrics::global().counter(
      "ecssd_record_changes_total", "Records changed by the agent", {{"op", "create"}});
  common::Counter& updated = common::Metrics::global().counter(
      "ecssd_record_changes_total", "Records changed by the agent", {{"op", "update"}});
  common::Counter& removed = common::Metrics::global().counter(
      "ecssd_record_changes_total", "Records changed by the agent", {{"op", "delete"}});
  common::Counter& refused = common::Metrics::global().counter(
      "ecssd_change_failures_total", "Changes the provider refused (retried at the next run)");
  common::Counter& provider_errors = common::Metrics::global().counter(
      "ecssd_provider_errors_total", "Listings or change requests that failed as a whole (retried with backoff)");
  common::Counter& requests = common::Metrics::global().counter(
      "ecssd_provider_change_requests_total", "Change requests sent to the provider");
  common::Gauge& owned = common::Metrics::global().gauge(
      "ecssd_records_owned", "Records this agent owns in the zone, after the last run");
  common::Gauge& rejected = common::Metrics::global().gauge(
      "ecssd_services_rejected", "Declared services that cannot be published (see the log)");
};

AgentMetrics& metrics() {
  static AgentMetrics m;
  return m;
}

std::vector<Record> owned_by(const std::vector<Record>& listed, const std::string& owner) {
  std::vector<Record> out;
  for (const auto& r : listed) {
    if (r.owner() == owner) out.push_back(r);
  }
  return out;
}

asio::awaitable<void> wait(asio::steady_timer& t) {
  boost::system::error_code ec;
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace

Agent::Agent(asio::io_context& io, source::Source& source, provider::CachedProvider& provider, Options options)
    : io_(io),
      source_(source),
      provider_(provider),
      registry_(provider, options.records.host.owner_id),
      options_(std::move(options)),
      backoff_(options_.retry_base, options_.retry_cap),
      wake_(io),
      sleep_(io),
      resync_timer_(io) {}

Agent::~Agent() { stop(); }

void Agent::start() {
  if (running_) return;
  running_ = true;
  stopped_ = false;
  source_.start([this] { mark_dirty(); });
  mark_dirty();  // the first run checks the provider even before the engine answers
  asio::co_spawn(io_, loop(), asio::detached);
  arm_resync();
}

void Agent::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (running_) source_.stop();
  wake_.cancel();
  sleep_.cancel();
  resync_timer_.cancel();
}

void Agent::resync() {
  log::debug("resync");
  provider_.invalidate();
  source_.resync();
  mark_dirty();
}

void Agent::mark_dirty() {
  auto now = std::chrono::steady_clock::now();
  if (!dirty_) first_dirty_ = now;
  last_dirty_ = now;
  dirty_ = true;
  wake_.cancel();
}

void Agent::arm_resync() {
  if (options_.resync.count() <= 0 || stopped_) return;
  resync_timer_.expires_after(options_.resync);
  resync_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    resync();
    arm_resync();
  });
}

asio::awaitable<void> Agent::loop() {
  loop_running_ = true;
  while (!stopped_) {
    if (!dirty_) {
      wake_.expires_at(asio::steady_timer::time_point::max());
      co_await wait(wake_);
      continue;
    }
    if (options_.batch_interval.count() > 0) {
      // Debounce: wait for a quiet batch_interval, at most batch_max_delay
      // after the first pending change (mark_dirty() moves last_dirty_).
      const auto cap = first_dirty_ + std::max(options_.batch_interval, options_.batch_max_delay);
      while (!stopped_) {
        auto until = std::min(last_dirty_ + options_.batch_interval, cap);
        if (std::chrono::steady_clock::now() >= until) break;
        sleep_.expires_at(until);
        co_await wait(sleep_);
      }
      if (stopped_) break;
    }
    dirty_ = false;
    Status s = co_await reconcile();
    if (stopped_) break;
    if (!s.ok()) {
      auto delay = backoff_.next();
      log::debug("plan run failed, retrying", {{"in_ms", delay.count()}, {"error", s.error().describe()}});
      sleep_.expires_after(delay);
      co_await wait(sleep_);
      dirty_ = true;
    } else {
      backoff_.reset();
    }
  }
  loop_running_ = false;
}

void Agent::note_provider(const Status& s) {
  if (s.ok()) {
    if (!stats_.provider_ok && !provider_error_.empty()) log::info("provider reachable again");
    stats_.provider_ok = true;
    provider_error_.clear();
    return;
  }
  stats_.provider_ok = false;
  metrics().provider_errors.inc();
  std::string what = s.error().describe();
  if (what != provider_error_) {
    log::error("provider failed; retrying in the background", {{"error", what}});
    provider_error_ = what;
  }
}

std::vector<Record> Agent::desired() {
  auto built = model::build_records(source_.services(), options_.records);
  std::set<std::string> now;
  for (const auto& r : built.rejected) {
    std::string key = fmt::format("{}|{}|{}", r.container_id, r.field, r.reason);
    if (!logged_rejections_.contains(key)) {
      log::warn("service not published", {{"container", r.container_name},
                                          {"container_id", r.container_id.substr(0, 12)},
                                          {"field", r.field},
                                          {"reason", r.reason}});
    }
    now.insert(std::move(key));
  }
  logged_rejections_ = std::move(now);
  metrics().rejected.set(static_cast<double>(built.rejected.size()));
  for (auto& r : built.records) {
    model::Labels labels = std::move(r.labels);
    r = provider_.canonicalize(std::move(r));
    r.labels = std::move(labels);
  }
  return std::move(built.records);
}

asio::awaitable<Status> Agent::reconcile() {
  stats_.source_synced = source_.synced();
  if (!stats_.source_synced) {
    // Nothing is known yet: never withdraw on ignorance. The provider is
    // still listed, so that its problems (credentials, zone) show at once.
    auto listed = co_await registry_.records();
    note_provider(listed.ok() ? Status{} : Status{listed.error()});
    co_return listed.ok() ? Status{} : Status{listed.error()};
  }
  ++stats_.plan_runs;
  metrics().plan_runs.inc();
  auto listed = co_await registry_.records();
  if (!listed.ok()) {
    note_provider(listed.error());
    co_return listed.error();
  }
  note_provider({});
  std::vector<Record> owned = owned_by(*listed, options_.records.host.owner_id);
  stats_.published = owned.size();
  metrics().owned.set(static_cast<double>(stats_.published));
  auto out = plan::compute({.current = std::move(listed.value()), .desired = desired(),
                            .owner = options_.records.host.owner_id, .policy = plan::Policy::kSync});

  std::set<std::string> conflicts;
  for (const auto& c : out.conflicts) {
    std::string key = model::describe(c.desired) + "|" + c.reason;
    if (!logged_conflicts_.contains(key)) {
      log::error("record not published: conflict", {{"name", c.desired.name},
                                                     {"type", model::to_string(c.desired.type)},
                                                     {"container", c.desired.label_or(model::label::kContainerName)},
                                                     {"reason", c.reason}});
    }
    conflicts.insert(std::move(key));
  }
  logged_conflicts_ = std::move(conflicts);

  if (out.changes.empty()) {
    stats_.converged = true;
    co_return Status{};
  }
  co_return co_await apply(std::move(out.changes), std::move(owned));
}

asio::awaitable<Status> Agent::apply(model::ChangeSet changes, std::vector<Record> owned_before) {
  if (options_.dry_run) {
    for (const auto& r : changes.create) log_change("publish", r, true);
    for (const auto& u : changes.update) log_change("update", u.new_record, true);
    for (const auto& r : changes.remove) log_change("withdraw", r, true);
    stats_.converged = true;
    co_return Status{};
  }
  auto report = co_await registry_.apply(std::move(changes));
  if (!report.ok()) {
    ++stats_.apply_failures;
    stats_.converged = false;
    note_provider(report.error());
    co_return report.error();
  }
  note_provider({});
  stats_.provider_requests += report->requests;
  for (const auto& r : report->applied.create) log_change("published", r, false);
  for (const auto& u : report->applied.update) log_change("updated", u.new_record, false);
  for (const auto& r : report->applied.remove) log_change("withdrawn", r, false);
  stats_.records_created += report->applied.create.size();
  stats_.records_updated += report->applied.update.size();
  stats_.records_removed += report->applied.remove.size();
  stats_.published += report->applied.create.size();
  stats_.published -= std::min(stats_.published, report->applied.remove.size());
  metrics().created.inc(report->applied.create.size());
  metrics().updated.inc(report->applied.update.size());
  metrics().removed.inc(report->applied.remove.size());
  metrics().refused.inc(report->failed.size());
  metrics().requests.inc(report->requests);
  metrics().owned.set(static_cast<double>(stats_.published));
  for (auto* o : observers_) o->on_applied(report->applied, owned_before);
  std::set<std::string> refused;
  for (const auto& f : report->failed) {
    const Record& r = !f.change.create.empty()   ? f.change.create.front()
                      : !f.change.update.empty() ? f.change.update.front().new_record
                                                 : f.change.remove.front();
    std::string key = model::describe(r) + "|" + f.error.describe();
    if (!logged_refusals_.contains(key)) {
      log::error("change refused; kept for the next run", {{"name", r.name},
                                                            {"type", model::to_string(r.type)},
                                                            {"container", r.label_or(model::label::kContainerName)},
                                                            {"error", f.error.describe()}});
    }
    refused.insert(std::move(key));
  }
  logged_refusals_ = std::move(refused);
  stats_.apply_failures += report->failed.size();
  stats_.converged = report->failed.empty();
  if (!report->failed.empty()) {
    co_return common::make_error(common::ErrorCode::kConflict,
                                 fmt::format("{} change(s) refused by the provider", report->failed.size()));
  }
  co_return Status{};
}

asio::awaitable<Status> Agent::sync_once(std::chrono::milliseconds wait_for_source) {
  running_ = true;
  stopped_ = false;
  source_.start([this] { wake_.cancel(); });
  auto deadline = std::chrono::steady_clock::now() + wait_for_source;
  while (!source_.synced() && std::chrono::steady_clock::now() < deadline) {
    wake_.expires_at(deadline);
    co_await wait(wake_);
  }
  if (!source_.synced()) {
    stop();
    co_return common::make_error(common::ErrorCode::kUnavailable,
                                 "the container engine could not be listed (see --docker-host)", true);
  }
  provider_.invalidate();
  Status s = co_await reconcile();
  stop();
  co_return s;
}

asio::awaitable<Status> Agent::remove_all() {
  provider_.invalidate();
  auto listed = co_await registry_.records();
  if (!listed.ok()) co_return listed.error();
  std::vector<Record> owned = owned_by(*listed, options_.records.host.owner_id);
  auto out = plan::compute({.current = std::move(listed.value()), .desired = {},
                            .owner = options_.records.host.owner_id, .policy = plan::Policy::kSync});
  if (out.changes.empty()) {
    log::info("no records owned by this host", {{"owner", options_.records.host.owner_id}});
    co_return Status{};
  }
  co_return co_await apply(std::move(out.changes), std::move(owned));
}

}  // namespace ecssd::agent
