#include "reaper/report_builder.h"

#include <algorithm>
#include <ctime>
#include <tuple>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/log.h"

namespace ecssd::reaper {
namespace {

std::string rfc3339(common::SystemTime t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", tm);
}

}  // namespace

Report start_report(std::vector<std::string> zones, bool read_only, const ReaperOptions& options,
                    common::SystemTime now) {
  Report report;
  report.zones = std::move(zones);
  if (!report.zones.empty()) report.zone = report.zones.front();
  report.started = rfc3339(now);
  report.dry_run = options.dry_run;
  report.read_only = read_only;
  report.valve.limit = options.max_delete_fraction;
  return report;
}

RecordReport record_report(Entry& e) {
  RecordReport r;
  model::Record& rec = e.record;
  Outcome& o = e.rep;
  r.type = std::string(model::to_string(rec.type));
  r.container_name = rec.label_or(model::label::kContainerName);
  r.service = rec.label_or(model::label::kService);
  r.target = rec.label_or(model::label::kAddress);
  r.agent_health = agent_verdict(rec.labels);
  r.name = std::move(rec.name);
  r.set_identifier = std::move(rec.set_identifier);
  r.values = std::move(rec.values);
  r.owner = std::move(o.owner);
  r.kind = std::string(to_string(e.kind));
  r.check = e.spec ? e.spec->describe() : std::string("-");
  r.result = std::string(o.result);
  r.checks = o.checks;
  r.detail = std::move(o.detail);
  if (e.kind == EntryKind::kService) {
    r.ecs = std::string(to_string(e.cloud.ecs));
    r.ecs_detail = std::move(e.cloud.ecs_detail);
    r.ec2 = std::string(to_string(e.cloud.ec2));
    r.ec2_detail = std::move(e.cloud.ec2_detail);
  }
  r.dead = o.dead;
  r.reason = std::move(o.reason);
  r.decision = o.decision;
  r.error = std::move(o.error);
  r.task_stop = std::move(o.task_stop);
  return r;
}

void add_records(Entries& entries, Report& report) {
  report.records.reserve(report.records.size() + entries.size());
  for (auto& e : entries) {
    report.records.push_back(record_report(*e));
    e.reset();
  }
}

void finish_report(Report& report, std::chrono::milliseconds duration) {
  report.duration = duration;
  std::sort(report.records.begin(), report.records.end(), [](const RecordReport& a, const RecordReport& b) {
    return std::tie(a.name, a.type, a.set_identifier) < std::tie(b.name, b.type, b.set_identifier);
  });
  log::info("reap pass done", {{"zone", fmt::format("{}", fmt::join(report.zones_read(), ","))},
                               {"owned", report.owned},
                               {"foreign", report.foreign},
                               {"targets_checked", report.targets_checked},
                               {"probes", report.probes},
                               {"dead", report.dead},
                               {"deleted", report.deleted},
                               {"ok", report.ok},
                               {"dry_run", report.dry_run},
                               {"duration_ms", static_cast<int64_t>(report.duration.count())}});
}

}  // namespace ecssd::reaper
