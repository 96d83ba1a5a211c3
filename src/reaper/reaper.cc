#include "reaper/reaper.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <map>
#include <queue>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include "common/duration.h"
#include "common/log.h"
#include "reaper/check.h"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // g++ 12 false positive (GCC bug 109224)

namespace ecssd::reaper {

namespace net = boost::asio;
using model::Record;
using Key = std::tuple<std::string, model::RecordType, std::string>;

namespace {

enum class Role { kService, kHost, kOrphan };

Key key_of(const Record& r) { return {r.name, r.type, r.set_identifier}; }

std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string rfc3339(common::SystemTime t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", tm);
}

std::string spec_key(const CheckSpec& s) {
  return fmt::format("{}|{}|{}|{}-{}|{}", to_string(s.kind), s.target(), s.http_path, s.status.lo, s.status.hi,
                     s.timeout.count());
}

}  // namespace

// What the report will say about a record, filled in as the pass goes (the
// rest of its RecordReport is built from the record at the end, so the pass
// does not hold every name and value twice).
struct Outcome {
  std::string owner;
  std::string_view kind;
  std::string_view result = "not-checked";
  int checks = 0;
  std::string detail;
  bool dead = false;
  std::string reason;
  Decision decision = Decision::kKeep;
  std::string error;
  std::string task_stop;
};

struct Reaper::Entry {
  Record record;
  Outcome rep;
  Role role = Role::kService;
  std::optional<CheckSpec> spec;
  std::string spec_error;
  bool young = false;
  std::string age;  // "12s" when known
  long target = -1;  // health tracker id
  CloudVerdict cloud;
  bool http_down = false;  // an HTTP check reached the fail threshold
};

struct Reaper::CheckRun {
  CheckRun(HealthPolicy policy, const common::TimeSource& time) : tracker(policy, time) {}
  HealthTracker tracker;
  std::vector<CheckSpec> specs;
  std::vector<std::string> details;  // the last probe's answer per target
  // Targets waiting for their next check, earliest due first (then in order added).
  using Item = std::tuple<common::SteadyTime, uint64_t, size_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> queue;
  uint64_t pushed = 0;
  size_t probes = 0;
  size_t workers_left = 0;
  net::steady_timer* done = nullptr;

  void push(size_t id) { queue.emplace(tracker.due(id), pushed++, id); }
};

Reaper::Reaper(registry::Registry& registry, Probe& probe, Sleeper& sleeper, const common::TimeSource& time,
               ReaperOptions options, CloudChecker* cloud)
    : registry_(registry), probe_(probe), sleeper_(sleeper), time_(time), options_(options), cloud_(cloud) {
  options_.concurrency = std::max<size_t>(options_.concurrency, 1);
}

Reaper::~Reaper() = default;

// Each worker takes the target due first, waits until it is due, probes it
// and, while the target has no verdict, queues its next check (due one
// interval after this one started). A worker leaves when the queue is empty:
// a retry is only ever queued by a worker that then looks at the queue again,
// so nothing is left behind. Each target's checks follow one another as soon as
// the interval allows; no round waits for the slowest probe.
Task<void> Reaper::check_worker(CheckRun* run) {
  while (!run->queue.empty()) {
    // No structured bindings around co_await (g++ 12).
    CheckRun::Item item = run->queue.top();
    run->queue.pop();
    size_t id = std::get<2>(item);
    co_await sleeper_.sleep_until(std::get<0>(item));
    run->tracker.started(id);
    ++run->probes;
    ProbeResult result = co_await probe_.check(run->specs[id]);
    run->tracker.finished(id, result.healthy);
    run->details[id] = std::move(result.detail);
    if (run->tracker.needs_check(id)) run->push(id);
  }
}

Task<void> Reaper::run_checks(CheckRun* run) {
  for (size_t id = 0; id < run->tracker.size(); ++id) run->push(id);
  if (run->queue.empty()) co_return;
  auto executor = co_await net::this_coro::executor;
  size_t workers = std::min(options_.concurrency, run->queue.size());
  net::steady_timer done(executor, net::steady_timer::time_point::max());
  run->workers_left = workers;
  run->done = &done;
  for (size_t i = 0; i < workers; ++i) {
    net::co_spawn(executor, check_worker(run), [run](std::exception_ptr e) {
      if (e) log::error("health check worker failed", {{"error", common::exception_message(e)}});
      // Moving the expiry into the past wakes the waiter, and any later wait ends at once.
      if (--run->workers_left == 0) run->done->expires_at(net::steady_timer::time_point::min());
    });
  }
  while (run->workers_left > 0) {
    boost::system::error_code ec;
    co_await done.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
  run->done = nullptr;
}

Task<Report> Reaper::run_pass() {
  const auto started = time_.steady_now();
  const auto now_system = time_.system_now();
  Report report;
  report.zone = registry_.provider().zone();
  report.started = rfc3339(now_system);
  report.dry_run = options_.dry_run;
  report.read_only = !registry_.provider().capabilities().writable;
  report.valve.limit = options_.max_delete_fraction;

  auto finish = [&] {
    report.duration = std::chrono::duration_cast<std::chrono::milliseconds>(time_.steady_now() - started);
    std::sort(report.records.begin(), report.records.end(), [](const RecordReport& a, const RecordReport& b) {
      return std::tie(a.name, a.type, a.set_identifier) < std::tie(b.name, b.type, b.set_identifier);
    });
    log::info("reap pass done", {{"zone", report.zone},
                                 {"owned", report.owned},
                                 {"foreign", report.foreign},
                                 {"targets_checked", report.targets_checked},
                                 {"probes", report.probes},
                                 {"dead", report.dead},
                                 {"deleted", report.deleted},
                                 {"ok", report.ok},
                                 {"dry_run", report.dry_run},
                                 {"duration_ms", static_cast<int64_t>(report.duration.count())}});
  };

  auto listed = co_await registry_.records();
  if (!listed.ok()) {
    report.ok = false;
    report.errors.push_back("listing the zone failed: " + listed.error().describe());
    log::error("cannot list the zone", {{"zone", report.zone}, {"error", listed.error().describe()}});
    finish();
    co_return report;
  }

  // The owned records; foreign ones are only counted.
  std::vector<std::unique_ptr<Entry>> entries;
  for (auto& r : *listed) {
    if (r.owner().empty()) {
      ++report.foreign;
      continue;
    }
    auto e = std::make_unique<Entry>();
    e->record = std::move(r);
    const Record& rec = e->record;
    Outcome& rep = e->rep;
    rep.owner = std::string(rec.owner());
    if (rec.label_or(model::label::kKind) == "host") {
      e->role = Role::kHost;
      rep.kind = "host";
    } else if (rec.label_or(registry::kOrphanLabel) == "record") {
      e->role = Role::kOrphan;
      rep.kind = "orphan";
    } else {
      e->role = Role::kService;
      rep.kind = "service";
      auto spec = check_from_labels(rec.labels, options_.check_timeout);
      if (spec.ok()) {
        e->spec = *spec;
      } else {
        e->spec_error = spec.error().message;
      }
      if (auto start = parse_int(rec.label_or(model::label::kStarted))) {
        auto age = std::chrono::duration_cast<std::chrono::milliseconds>(
            now_system - common::SystemTime(std::chrono::seconds(*start)));
        e->young = age < options_.grace;
        e->age = common::format_duration(std::max(age, std::chrono::milliseconds(0)));
      }
    }
    entries.push_back(std::move(e));
  }
  std::vector<Record>().swap(*listed);  // moved from: only the shells are left
  report.owned = entries.size();
  auto elapsed_ms = [&] {
    return static_cast<int64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(time_.steady_now() - started).count());
  };
  log::debug("zone listed", {{"owned", report.owned}, {"foreign", report.foreign}, {"ms", elapsed_ms()}});
  if (entries.empty()) {
    finish();
    co_return report;
  }

  // What ECS and EC2 say.
  if (cloud_ && (cloud_->asks_ecs() || cloud_->asks_ec2())) {
    std::vector<CloudTarget> targets;
    targets.reserve(entries.size());
    for (const auto& e : entries) {
      targets.push_back({e->record.label_or(model::label::kTaskArn), e->record.label_or(model::label::kCluster),
                         e->record.label_or(model::label::kInstance)});
    }
    CloudReport cloud = co_await cloud_->check(std::move(targets));
    for (size_t i = 0; i < entries.size(); ++i) entries[i]->cloud = std::move(cloud.verdicts[i]);
    for (auto& err : cloud.errors) {
      log::error("AWS cross-check failed; affected records are judged by health checks only", {{"error", err}});
      report.errors.push_back(std::move(err));
      report.ok = false;
    }
  }

  // Health checks, one target per distinct check (A and AAAA of one container share one).
  CheckRun run(options_.health, time_);
  {
    std::map<std::string, size_t> by_spec;
    for (auto& e : entries) {
      if (e->role != Role::kService || !e->spec || e->spec->kind == CheckKind::kNone || e->young) continue;
      if (e->cloud.ecs == Verdict::kDead || e->cloud.ec2 == Verdict::kDead) continue;
      auto [it, added] = by_spec.emplace(spec_key(*e->spec), run.specs.size());
      if (added) {
        run.tracker.add();
        run.specs.push_back(*e->spec);
        run.details.emplace_back();
      }
      e->target = static_cast<long>(it->second);
    }
  }
  report.targets_checked = run.specs.size();
  log::debug("checking targets", {{"targets", run.specs.size()}, {"ms", elapsed_ms()}});
  co_await run_checks(&run);
  report.probes = run.probes;
  log::debug("targets checked", {{"probes", run.probes}, {"ms", elapsed_ms()}});

  // Service records.
  const int fall = run.tracker.policy().fall;
  for (auto& e : entries) {
    if (e->role != Role::kService) continue;
    Outcome& rep = e->rep;
    if (e->target >= 0) {
      auto id = static_cast<size_t>(e->target);
      rep.checks = run.tracker.checks(id);
      rep.detail = run.details[id];
      switch (run.tracker.health(id)) {
        case Health::kUp: rep.result = "healthy"; break;
        case Health::kDown: rep.result = "dead"; break;
        case Health::kUnknown: rep.result = "unsettled"; break;
      }
    }
    if (e->cloud.ecs == Verdict::kDead) {
      rep.dead = true;
      rep.reason = "ECS task " + e->cloud.ecs_detail;
      if (rep.detail.empty()) rep.detail = "not probed: ECS says the task is gone";
    } else if (e->cloud.ec2 == Verdict::kDead) {
      rep.dead = true;
      rep.reason = fmt::format("EC2 instance {} is {}", e->record.label_or(model::label::kInstance),
                               e->cloud.ec2_detail);
      if (rep.detail.empty()) rep.detail = "not probed: EC2 says the instance is gone";
    } else if (!e->spec) {
      rep.reason = "cannot check: " + e->spec_error;
      rep.detail = rep.reason;
    } else if (e->spec->kind == CheckKind::kNone) {
      rep.reason = "not checkable (check=none): kept unless ECS or EC2 says it is gone";
    } else if (e->young) {
      rep.reason = fmt::format("started {} ago, within --grace {}", e->age, common::format_duration(options_.grace));
    } else {
      auto id = static_cast<size_t>(e->target);
      switch (run.tracker.health(id)) {
        case Health::kDown:
          rep.dead = true;
          rep.reason = fmt::format("{} consecutive failed checks, last: {}", fall, rep.detail);
          e->http_down = e->spec->kind == CheckKind::kHttp;
          break;
        case Health::kUp: rep.reason = "healthy"; break;
        case Health::kUnknown:
          rep.reason = fmt::format("no verdict after {} checks (flapping): kept", rep.checks);
          break;
      }
    }
  }

  // Records that depend on their owner's other records: a record whose
  // companion is missing (no check data), then host records.
  struct OwnerState {
    size_t kept = 0, dead = 0, services = 0;
  };
  std::map<std::string, OwnerState> owners;
  for (const auto& e : entries) {
    if (e->role != Role::kService) continue;
    auto& o = owners[e->rep.owner];
    ++o.services;
    ++(e->rep.dead ? o.dead : o.kept);
  }
  for (auto& e : entries) {
    if (e->role != Role::kOrphan) continue;
    auto& o = owners[e->rep.owner];
    if (o.kept == 0 && o.dead > 0) {
      e->rep.dead = true;
      e->rep.reason = fmt::format("ownership data (companion TXT) missing, and every other record of owner {} is dead",
                                  e->rep.owner);
    } else {
      ++o.kept;
      e->rep.reason = "ownership data (companion TXT) missing: kept, its agent repairs it";
    }
  }
  for (auto& e : entries) {
    if (e->role != Role::kHost) continue;
    auto& o = owners[e->rep.owner];
    if (o.kept == 0) {
      e->rep.dead = true;
      e->rep.reason = o.dead > 0 ? fmt::format("host record: the last service record of owner {} is reaped", e->rep.owner)
                                 : fmt::format("host record: owner {} publishes no service records", e->rep.owner);
    } else {
      e->rep.reason = fmt::format("host record: owner {} still has {} record(s)", e->rep.owner, o.kept);
    }
  }

  // Decide.
  std::vector<Entry*> doomed;
  for (auto& e : entries) {
    if (e->rep.dead) doomed.push_back(e.get());
  }
  report.dead = doomed.size();
  report.valve.fraction = static_cast<double>(doomed.size()) / static_cast<double>(entries.size());
  bool too_many = !doomed.empty() && report.valve.fraction > options_.max_delete_fraction;
  if (too_many && options_.force) {
    report.valve.forced = true;
    log::warn("safety valve overridden by --force",
              {{"dead", doomed.size()}, {"owned", entries.size()}, {"limit", fmt::format("{}", options_.max_delete_fraction)}});
  } else if (too_many) {
    report.valve.tripped = true;
    report.ok = false;
    std::string why = fmt::format(
        "safety valve: {} of {} owned records ({:.0f}%) are dead, more than --max-delete-fraction {}; nothing "
        "deleted (a reaper cut off from its targets must not wipe the zone; check the network, or pass --force)",
        doomed.size(), entries.size(), report.valve.fraction * 100, options_.max_delete_fraction);
    report.errors.push_back(why);
    log::error("safety valve tripped: deleting nothing",
               {{"dead", doomed.size()}, {"owned", entries.size()}, {"limit", fmt::format("{}", options_.max_delete_fraction)}});
  }

  for (Entry* e : doomed) {
    if (report.valve.tripped) {
      e->rep.decision = Decision::kHeld;
    } else if (options_.dry_run) {
      e->rep.decision = Decision::kWouldDelete;
      log::info("would delete (dry run)", {{"record", model::describe(e->record)}, {"reason", e->rep.reason}});
    } else if (report.read_only) {
      e->rep.decision = Decision::kReadOnly;
    }
  }
  if (report.read_only && !doomed.empty() && !report.valve.tripped && !options_.dry_run) {
    log::warn("the provider is read-only here: dead records are reported, not deleted (the agent serving the "
              "embedded zone withdraws its own records; a dead host's records vanish with its responder)",
              {{"zone", report.zone}, {"dead", doomed.size()}});
  }
  if (!report.valve.tripped && !options_.dry_run && !report.read_only && !doomed.empty()) {
    co_await delete_records(doomed, &report);
  }

  if (options_.stop_failing_tasks && cloud_ && !report.valve.tripped) {
    std::vector<Entry*> all;
    for (auto& e : entries) all.push_back(e.get());
    co_await stop_failing_tasks(&all, &report);
  }

  // Each entry goes as its report is made from it: the pass never holds the
  // zone twice.
  report.records.reserve(entries.size());
  for (auto& e : entries) {
    RecordReport r;
    Record& rec = e->record;
    Outcome& o = e->rep;
    r.type = std::string(model::to_string(rec.type));
    r.container_name = rec.label_or(model::label::kContainerName);
    r.service = rec.label_or(model::label::kService);
    r.target = rec.label_or(model::label::kAddress);
    r.name = std::move(rec.name);
    r.set_identifier = std::move(rec.set_identifier);
    r.values = std::move(rec.values);
    r.owner = std::move(o.owner);
    r.kind = std::string(o.kind);
    r.check = e->spec ? e->spec->describe() : std::string("-");
    r.result = std::string(o.result);
    r.checks = o.checks;
    r.detail = std::move(o.detail);
    if (e->role == Role::kService) {
      r.ecs = std::string(to_string(e->cloud.ecs));
      r.ecs_detail = std::move(e->cloud.ecs_detail);
      r.ec2 = std::string(to_string(e->cloud.ec2));
      r.ec2_detail = std::move(e->cloud.ec2_detail);
    }
    r.dead = o.dead;
    r.reason = std::move(o.reason);
    r.decision = o.decision;
    r.error = std::move(o.error);
    r.task_stop = std::move(o.task_stop);
    report.records.push_back(std::move(r));
    e.reset();
  }
  finish();
  co_return report;
}

// Service records (and orphans) first; host records after, and only for owners
// whose other deletions all went through, so a host record never goes while
// a record of its owner stays.
Task<void> Reaper::delete_records(std::vector<Entry*> doomed, Report* report) {
  std::vector<Entry*> phases[2];
  for (Entry* e : doomed) phases[e->role == Role::kHost ? 1 : 0].push_back(e);
  std::set<std::string> owners_failed;

  for (int phase = 0; phase < 2; ++phase) {
    std::vector<Entry*> batch;
    for (Entry* e : phases[phase]) {
      if (phase == 1 && owners_failed.contains(e->rep.owner)) {
        e->rep.decision = Decision::kDeleteFailed;
        e->rep.error = "not attempted: deleting another record of its owner failed";
        continue;
      }
      batch.push_back(e);
    }
    if (batch.empty()) continue;
    model::ChangeSet changes;
    for (Entry* e : batch) changes.remove.push_back(e->record);  // exactly as listed
    auto applied = co_await registry_.apply(std::move(changes));
    if (!applied.ok()) {
      std::string err = applied.error().describe();
      report->ok = false;
      report->errors.push_back("deleting failed: " + err);
      log::error("cannot delete dead records", {{"count", batch.size()}, {"error", err}});
      for (Entry* e : batch) {
        e->rep.decision = Decision::kDeleteFailed;
        e->rep.error = err;
        owners_failed.insert(e->rep.owner);
      }
      continue;
    }
    std::map<Key, std::string> failed;
    for (const auto& f : applied->failed) {
      for (const auto& r : f.change.remove) failed.emplace(key_of(r), f.error.describe());
    }
    for (Entry* e : batch) {
      auto it = failed.find(key_of(e->record));
      if (it != failed.end()) {
        e->rep.decision = Decision::kDeleteFailed;
        e->rep.error = it->second;
        owners_failed.insert(e->rep.owner);
        report->ok = false;
        report->errors.push_back(fmt::format("deleting {} failed: {}", model::describe(e->record), it->second));
        log::error("cannot delete a dead record", {{"record", model::describe(e->record)}, {"error", it->second}});
        continue;
      }
      e->rep.decision = Decision::kDeleted;
      ++report->deleted;
      log::info("reaped record", {{"record", model::describe(e->record)},
                                  {"owner", e->rep.owner},
                                  {"container", e->record.label_or(model::label::kContainerName)},
                                  {"reason", e->rep.reason}});
    }
  }
}

Task<void> Reaper::stop_failing_tasks(std::vector<Entry*>* entries, Report* report) {
  std::map<std::string, std::vector<Entry*>> tasks;  // task ARN -> its failing records
  std::map<std::string, std::string> cluster_of;
  for (Entry* e : *entries) {
    std::string arn = e->record.label_or(model::label::kTaskArn);
    // Only tasks ECS lists as running: a stopped task needs no stopping.
    if (!e->http_down || arn.empty() || e->cloud.ecs != Verdict::kAlive || e->cloud.cluster.empty()) continue;
    tasks[arn].push_back(e);
    cluster_of[arn] = e->cloud.cluster;
  }
  for (auto& [arn, records] : tasks) {
    std::string outcome;
    if (options_.dry_run) {
      outcome = "would-stop";
      log::info("would stop a failing ECS task (dry run)", {{"task", arn}, {"cluster", cluster_of[arn]}});
    } else {
      auto s = co_await cloud_->stop_task(cluster_of[arn], arn, std::string(kStopReason));
      if (s.ok()) {
        outcome = "stopped";
        ++report->tasks_stopped;
        log::info("stopped a failing ECS task", {{"task", arn}, {"cluster", cluster_of[arn]},
                                                 {"reason", kStopReason}});
      } else {
        outcome = "failed: " + s.error().describe();
        report->ok = false;
        report->errors.push_back(fmt::format("stopping task {} failed: {}", arn, s.error().describe()));
        log::error("cannot stop a failing ECS task", {{"task", arn}, {"error", s.error().describe()}});
      }
    }
    for (Entry* e : records) e->rep.task_stop = outcome;
  }
}

}  // namespace ecssd::reaper
