#include "agent/agent.h"

#include <algorithm>
#include <charconv>
#include <map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
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

// Instances of this owner now in the zone, with their health-since label (0: none).
std::map<std::string, int64_t> published_instances(const std::vector<Record>& owned) {
  std::map<std::string, int64_t> out;
  for (const auto& r : owned) {
    std::string container = r.label_or(model::label::kContainer);
    if (container.empty() || r.label_or(model::label::kKind) != "service") continue;
    int64_t since = 0;
    std::string text = r.label_or(model::label::kHealthSince);
    std::from_chars(text.data(), text.data() + text.size(), since);
    auto& v = out[instance_key(container, r.label_or(model::label::kPort))];
    v = std::max(v, since);
  }
  return out;
}

// This owner's records once `applied` is: the listing, less what was removed,
// with what was created or updated.
std::vector<Record> owned_after(std::vector<Record> owned, const model::ChangeSet& applied) {
  std::map<model::RecordKey, Record> by_key;
  for (auto& r : owned) by_key.insert_or_assign(model::key_of(r), std::move(r));
  for (const auto& r : applied.remove) by_key.erase(model::key_of(r));
  for (const auto& u : applied.update) by_key.insert_or_assign(model::key_of(u.new_record), u.new_record);
  for (const auto& r : applied.create) by_key.insert_or_assign(model::key_of(r), r);
  std::vector<Record> out;
  out.reserve(by_key.size());
  for (auto& [k, r] : by_key) out.push_back(std::move(r));
  return out;
}

std::vector<Record> owned_by(const std::vector<Record>& listed, const std::string& owner) {
  std::vector<Record> out;
  for (const auto& r : listed) {
    if (r.owner() == owner) out.push_back(r);
  }
  return out;
}

// Plan runs a one-shot command (--once, the withdrawal at exit) makes while
// the provider throttles it, as many as the Route 53 client's own throttled
// attempts (retry_policy.h).
constexpr int kThrottledRuns = 12;

}  // namespace

struct Agent::Metrics {
  explicit Metrics(const common::Scope& scope)
      : plan_runs(scope.counter("ecssd_plan_runs_total", "Plan runs of the agent")),
        created(scope.counter("ecssd_record_changes_total", "Records changed by the agent", {{"op", "create"}})),
        updated(scope.counter("ecssd_record_changes_total", "Records changed by the agent", {{"op", "update"}})),
        removed(scope.counter("ecssd_record_changes_total", "Records changed by the agent", {{"op", "delete"}})),
        refused(scope.counter("ecssd_change_failures_total", "Changes the provider refused (retried at the next run)")),
        provider_errors(scope.counter("ecssd_provider_errors_total",
                                      "Listings or change requests that failed as a whole (retried with backoff)")),
        requests(scope.counter("ecssd_provider_change_requests_total", "Change requests sent to the provider")),
        throttled(scope.counter("ecssd_plan_runs_throttled_total",
                                "Plan runs whose changes the provider throttled (planned again at its pace)")),
        owned(scope.gauge("ecssd_records_owned", "Records this agent owns in the zone, after the last run")),
        rejected(scope.gauge("ecssd_services_rejected", "Declared services that cannot be published (see the log)")),
        refused_names(scope.gauge("ecssd_services_refused",
                                  "Declared services whose name this host may not publish (see the log)",
                                  {{"reason", "name-policy"}})) {}
  common::Counter& plan_runs;
  common::Counter& created;
  common::Counter& updated;
  common::Counter& removed;
  common::Counter& refused;
  common::Counter& provider_errors;
  common::Counter& requests;
  common::Counter& throttled;
  common::Gauge& owned;
  common::Gauge& rejected;
  common::Gauge& refused_names;
};

Agent::Agent(asio::io_context& io, source::Source& source, provider::CachedProvider& provider, Options options,
             common::TimeSystem& time, common::Scope metrics)
    : io_(io),
      source_(source),
      provider_(provider),
      registry_(provider, options.records.host.owner_id),
      options_(std::move(options)),
      time_(time),
      metrics_(std::make_unique<Metrics>(metrics)),
      backoff_(options_.retry_base, options_.retry_cap),
      wake_(time.make_timer(io.get_executor())),
      sleep_(time.make_timer(io.get_executor())),
      resync_timer_(time.make_timer(io.get_executor())) {}

Agent::~Agent() { stop(); }

void Agent::start() {
  if (running_) return;
  running_ = true;
  stopped_ = false;
  source_.start([this] { mark_dirty(); });
  if (gate_) gate_->start([this] { mark_dirty(); });
  mark_dirty();  // the first run checks the provider even before the engine answers
  asio::co_spawn(io_, loop(), asio::detached);
  if (options_.resync.count() > 0) asio::co_spawn(io_, resync_loop(), asio::detached);
}

void Agent::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (running_) source_.stop();
  if (gate_) gate_->stop();
  wake_->cancel();
  sleep_->cancel();
  resync_timer_->cancel();
}

void Agent::resync() {
  log::debug("resync");
  provider_.invalidate();
  source_.resync();
  mark_dirty();
}

void Agent::mark_dirty() {
  auto now = time_.steady_now();
  if (!dirty_) first_dirty_ = now;
  last_dirty_ = now;
  dirty_ = true;
  wake_->cancel();
}

common::Task<void> Agent::resync_loop() {
  resync_running_ = true;
  while (!stopped_) {
    resync_timer_->expires_after(options_.resync);
    const bool expired = co_await resync_timer_->wait();
    if (!expired || stopped_) break;
    resync();
  }
  resync_running_ = false;
}

common::Task<void> Agent::debounce() {
  // mark_dirty() moves last_dirty_; the cap stays.
  const auto cap = first_dirty_ + std::max(options_.batch_interval, options_.batch_max_delay);
  while (!stopped_) {
    auto until = std::min(last_dirty_ + options_.batch_interval, cap);
    if (time_.steady_now() >= until) break;
    sleep_->expires_at(until);
    co_await sleep_->wait();
  }
}

common::Task<void> Agent::loop() {
  loop_running_ = true;
  while (!stopped_) {
    if (!dirty_) {
      wake_->disarm();
      co_await wake_->wait();
      continue;
    }
    // The first change of a quiet period goes at once (a lone start waits
    // for nothing); the ones after it, within batch_interval of the end of
    // that run, or during it, are batched. (From its end: a run that waited
    // for a throttled provider's pace would otherwise make every change
    // after it "quiet", one call each, just when calls are scarce.)
    const bool quiet = !ran_ || first_dirty_ - last_run_ >= options_.batch_interval;
    if (options_.batch_interval.count() > 0 && !quiet) {
      co_await debounce();
      if (stopped_) break;
    }
    // A provider that paces itself (Route 53 once throttled) takes the next
    // request later: the plan is made when it can go, so that it carries
    // every change made while waiting, in one call rather than two.
    co_await wait_until_ready();
    if (stopped_) break;
    dirty_ = false;
    ran_ = true;
    Status s = co_await reconcile();
    last_run_ = time_.steady_now();
    if (stopped_) break;
    if (paced_retry(s)) {
      // Throttled, nothing applied: planned again at the provider's next
      // slot, with what has changed since, and no backoff on top of its pace.
      dirty_ = true;
      continue;
    }
    if (!s.ok()) {
      auto delay = backoff_.next();
      log::debug("plan run failed, retrying", {{"in_ms", delay.count()}, {"error", s.error().describe()}});
      sleep_->expires_after(delay);
      co_await sleep_->wait();
      dirty_ = true;
    } else {
      backoff_.reset();
    }
  }
  loop_running_ = false;
}

common::Task<void> Agent::wait_until_ready() {
  const auto now = time_.steady_now();
  const auto ready = provider_.ready_at(now);
  if (ready <= now) co_return;
  log::debug("waiting for the provider's pace", {{"ms", std::chrono::duration_cast<std::chrono::milliseconds>(ready - now).count()}});
  sleep_->expires_at(ready);
  co_await sleep_->wait();
}

bool Agent::paced_retry(const Status& s) const {
  if (s.ok() || s.error().code != common::ErrorCode::kThrottled) return false;
  const auto now = time_.steady_now();
  return provider_.ready_at(now) > now;
}

void Agent::note_provider(const Status& s) {
  if (s.ok()) {
    if (!stats_.provider_ok && !provider_error_.empty()) log::info("provider reachable again");
    stats_.provider_ok = true;
    provider_error_.clear();
    return;
  }
  stats_.provider_ok = false;
  metrics_->provider_errors.inc();
  std::string what = s.error().describe();
  if (what != provider_error_) {
    log::error("provider failed; retrying in the background", {{"error", what}});
    provider_error_ = what;
  }
}

std::vector<Record> Agent::desired(const std::vector<Record>& owned) {
  std::vector<model::Service> services = source_.services();
  if (gate_) services = gate_->admit(std::move(services), published_instances(owned));
  auto built = model::build_records(services, options_.records);
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
  metrics_->rejected.set(static_cast<double>(built.rejected.size()));
  note_refusals(built.refused);
  rejections_ = std::move(built.rejected);
  return registry_.canonicalize(std::move(built.records));
}

// One line per refused name, once while it stays refused (as rejections).
void Agent::note_refusals(const std::vector<model::Refusal>& refused) {
  std::set<std::string> now;
  for (const auto& r : refused) {
    std::string key = fmt::format("{}|{}|{}|{}", r.container_id, r.field, r.name, r.rule);
    if (!logged_name_refusals_.contains(key)) {
      log::warn("service not published: name refused by the name policy",
                {{"container", r.container_name},
                 {"container_id", r.container_id.substr(0, 12)},
                 {"field", r.field},
                 {"name", r.name},
                 {"rule", r.rule}});
    }
    now.insert(std::move(key));
  }
  logged_name_refusals_ = std::move(now);
  metrics_->refused_names.set(static_cast<double>(refused.size()));
}

common::Task<Status> Agent::reconcile() {
  stats_.source_synced = source_.synced();
  if (!stats_.source_synced) {
    // Nothing is known yet: never withdraw on ignorance. The provider is
    // still listed, so that its problems (credentials, zone) show at once.
    auto listed = co_await registry_.records();
    note_provider(listed.ok() ? Status{} : Status{listed.error()});
    co_return listed.ok() ? Status{} : Status{listed.error()};
  }
  ++stats_.plan_runs;
  metrics_->plan_runs.inc();
  auto listed = co_await registry_.records();
  if (!listed.ok()) {
    note_provider(listed.error());
    co_return listed.error();
  }
  note_provider({});
  std::vector<Record> owned = owned_by(*listed, options_.records.host.owner_id);
  stats_.published = owned.size();
  metrics_->owned.set(static_cast<double>(stats_.published));
  auto wanted = desired(owned);
  auto out = plan::compute({.current = std::move(listed.value()), .desired = std::move(wanted),
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
    tell_owned(owned);
    co_return Status{};
  }
  co_return co_await apply(std::move(out.changes), std::move(owned));
}

void Agent::tell_owned(const std::vector<Record>& owned) {
  for (auto* o : observers_) o->on_owned(owned);
}

common::Task<Status> Agent::apply(model::ChangeSet changes, std::vector<Record> owned_before) {
  if (options_.dry_run) {
    for (const auto& r : changes.create) log_change("publish", r, true);
    for (const auto& u : changes.update) log_change("update", u.new_record, true);
    for (const auto& r : changes.remove) log_change("withdraw", r, true);
    stats_.converged = true;
    co_return Status{};
  }
  auto report = co_await registry_.apply(std::move(changes));
  if (!report.ok() && report.error().code == common::ErrorCode::kThrottled) {
    // Nothing was applied (provider.h) and the provider said so at once: not
    // a failure of the provider, but its pace (the client logged when it
    // began pacing); the changes are planned again when it allows.
    stats_.converged = false;
    metrics_->throttled.inc();
    log::debug("changes throttled; planned again at the provider's pace", {{"error", report.error().describe()}});
    co_return report.error();
  }
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
  metrics_->created.inc(report->applied.create.size());
  metrics_->updated.inc(report->applied.update.size());
  metrics_->removed.inc(report->applied.remove.size());
  // Changes throttled after others went (a batch of several requests) are
  // not refused: they go again at the provider's pace.
  const auto throttled = static_cast<size_t>(
      std::count_if(report->failed.begin(), report->failed.end(),
                    [](const provider::FailedChange& f) { return f.error.code == common::ErrorCode::kThrottled; }));
  metrics_->refused.inc(report->failed.size() - throttled);
  metrics_->requests.inc(report->requests);
  metrics_->owned.set(static_cast<double>(stats_.published));
  for (auto* o : observers_) o->on_applied(report->applied, owned_before);
  if (!observers_.empty()) tell_owned(owned_after(std::move(owned_before), report->applied));  // not used below
  std::set<std::string> refused;
  for (const auto& f : report->failed) {
    if (f.error.code == common::ErrorCode::kThrottled) continue;
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
  stats_.apply_failures += report->failed.size() - throttled;
  stats_.converged = report->failed.empty();
  if (throttled > 0) metrics_->throttled.inc();
  if (throttled > 0 && throttled == report->failed.size()) {
    co_return common::make_error(common::ErrorCode::kThrottled,
                                 fmt::format("{} change(s) throttled by the provider", throttled));
  }
  if (!report->failed.empty()) {
    co_return common::make_error(common::ErrorCode::kConflict,
                                 fmt::format("{} change(s) refused by the provider", report->failed.size()));
  }
  co_return Status{};
}

common::Task<Status> Agent::sync_once(std::chrono::milliseconds wait_for_source) {
  running_ = true;
  stopped_ = false;
  source_.start([this] { wake_->cancel(); });
  const auto deadline = time_.steady_now() + wait_for_source;
  while (!source_.synced() && time_.steady_now() < deadline) {
    wake_->expires_at(deadline);
    co_await wake_->wait();
  }
  if (!source_.synced()) {
    stop();
    co_return common::make_error(common::ErrorCode::kUnavailable,
                                 "the container engine could not be listed (see --docker-host)", true);
  }
  provider_.invalidate();
  if (gate_) co_await first_verdicts(deadline);
  Status s = co_await reconcile();
  for (int run = 1; run < kThrottledRuns && paced_retry(s); ++run) {
    co_await wait_until_ready();
    s = co_await reconcile();
  }
  stop();
  co_return s;
}

// --once with checks: the services are checked until each has a verdict (or
// the deadline) before the one plan run.
common::Task<void> Agent::first_verdicts(common::SteadyTime deadline) {
  gate_->start([] {});
  auto listed = co_await registry_.records();
  std::vector<Record> owned;
  if (listed.ok()) owned = owned_by(*listed, options_.records.host.owner_id);
  gate_->admit(source_.services(), published_instances(owned));
  co_await gate_->settle(deadline);
  provider_.invalidate();
}

common::Task<Status> Agent::remove_all() {
  provider_.invalidate();
  for (int run = 1;; ++run) {
    auto listed = co_await registry_.records();
    if (!listed.ok()) co_return listed.error();
    std::vector<Record> owned = owned_by(*listed, options_.records.host.owner_id);
    auto out = plan::compute({.current = std::move(listed.value()), .desired = {},
                              .owner = options_.records.host.owner_id, .policy = plan::Policy::kSync});
    if (out.changes.empty()) {
      if (run == 1) log::info("no records owned by this host", {{"owner", options_.records.host.owner_id}});
      co_return Status{};
    }
    Status s = co_await apply(std::move(out.changes), std::move(owned));
    if (run >= kThrottledRuns || !paced_retry(s)) co_return s;
    co_await wait_until_ready();
  }
}

}  // namespace ecssd::agent
