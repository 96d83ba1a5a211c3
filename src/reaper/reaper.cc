#include "reaper/reaper.h"

#include <algorithm>

#include "common/log.h"
#include "common/open_files.h"
#include "reaper/check_scheduler.h"
#include "reaper/cloud_verdicts.h"
#include "reaper/decision.h"
#include "reaper/deletion.h"
#include "reaper/report_builder.h"
#include "reaper/selection.h"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // g++ 12 false positive (GCC bug 109224)

namespace ecssd::reaper {

size_t auto_concurrency(size_t open_file_limit) {
  if (open_file_limit <= 2 * kReservedFiles) return std::max<size_t>(open_file_limit / 2, 1);
  return std::min(open_file_limit - kReservedFiles, kMaxAutoConcurrency);
}

Reaper::Reaper(registry::Registry& registry, health::Probe& probe, common::TimeSystem& time, ReaperOptions options,
               common::Scope metrics, CloudChecker* cloud)
    : registry_(registry),
      probe_(probe),
      time_(time),
      options_(options),
      metrics_(std::move(metrics)),
      check_metrics_(metrics_),
      cloud_(cloud) {
  if (options_.concurrency == 0) {
    const size_t files = common::open_file_limit();
    options_.concurrency = auto_concurrency(files);
    log::info("checks in flight at most", {{"concurrency", options_.concurrency}, {"open_file_limit", files}});
  }
}

Reaper::~Reaper() = default;

int64_t Reaper::elapsed_ms(common::SteadyTime started) const {
  return static_cast<int64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(time_.steady_now() - started).count());
}

void Reaper::finish(Report& report, common::SteadyTime started) const {
  finish_report(report, std::chrono::duration_cast<std::chrono::milliseconds>(time_.steady_now() - started));
}

common::Task<Report> Reaper::run_pass() {
  const auto started = time_.steady_now();
  const auto now = time_.system_now();
  Report report = start_report(registry_.provider().zones(), !registry_.provider().capabilities().writable,
                               options_, now);

  auto listed = co_await registry_.records();
  if (!listed.ok()) {
    report.ok = false;
    report.errors.push_back("listing the zone failed: " + listed.error().describe());
    log::error("cannot list the zone", {{"zone", report.zone}, {"error", listed.error().describe()}});
    finish(report, started);
    co_return report;
  }
  Selection selected = select_owned(std::move(*listed), options_.check_timeout, options_.grace, now);
  report.owned = selected.entries.size();
  report.foreign = selected.foreign;
  log::debug("zone listed", {{"owned", report.owned}, {"foreign", report.foreign}, {"ms", elapsed_ms(started)}});
  if (!selected.entries.empty()) {
    co_await judge(&selected.entries, &report, started);
    co_await act(&selected.entries, &report);
    add_records(selected.entries, report);
  }
  finish(report, started);
  co_return report;
}

// Cloud verdicts, then the checks of what they left open, then the rules.
common::Task<void> Reaper::judge(Entries* entries, Report* report, common::SteadyTime started) {
  if (cloud_) co_await ask_cloud(*cloud_, entries, report);

  std::vector<CheckSpec> targets = check_targets(*entries);
  report->targets_checked = targets.size();
  log::debug("checking targets",
             {{"targets", targets.size()}, {"concurrency", options_.concurrency}, {"ms", elapsed_ms(started)}});
  CheckScheduler scheduler(probe_, time_, options_.health, options_.concurrency, &check_metrics_);
  CheckResults checks = co_await scheduler.run(std::move(targets));
  report->probes = checks.probes;
  log::debug("targets checked", {{"probes", checks.probes}, {"ms", elapsed_ms(started)}});

  judge_services(*entries, checks, options_.grace);
  judge_dependents(*entries);
}

// The safety valve, then the deletions and task stops it allows.
common::Task<void> Reaper::act(Entries* entries, Report* report) {
  std::vector<Entry*> doomed = decide(*entries, options_, *report);
  if (!report->valve.tripped && !options_.dry_run && !report->read_only && !doomed.empty()) {
    co_await delete_records(registry_, std::move(doomed), report);
  }
  if (options_.stop_failing_tasks && cloud_ && !report->valve.tripped) {
    co_await stop_failing_tasks(*cloud_, entries, options_.dry_run, report);
  }
}

}  // namespace ecssd::reaper
