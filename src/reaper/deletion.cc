#include "reaper/deletion.h"

#include <map>
#include <set>

#include <fmt/format.h>

#include "common/log.h"
#include "reaper/options.h"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // g++ 12 false positive (GCC bug 109224)

namespace ecssd::reaper {
namespace {

void failed_all(const std::vector<Entry*>& batch, const common::Error& error, Report* report,
                std::set<std::string>* owners_failed) {
  std::string err = error.describe();
  report->ok = false;
  report->errors.push_back("deleting failed: " + err);
  log::error("cannot delete dead records", {{"count", batch.size()}, {"error", err}});
  for (Entry* e : batch) {
    e->rep.decision = Decision::kDeleteFailed;
    e->rep.error = err;
    owners_failed->insert(e->rep.owner);
  }
}

// The outcome of each record of a batch the provider answered.
void take_answer(const std::vector<Entry*>& batch, const provider::ApplyReport& applied, Report* report,
                 std::set<std::string>* owners_failed) {
  std::map<model::RecordKey, std::string> failed;
  for (const auto& f : applied.failed) {
    for (const auto& r : f.change.remove) failed.emplace(model::key_of(r), f.error.describe());
  }
  for (Entry* e : batch) {
    auto it = failed.find(model::key_of(e->record));
    if (it != failed.end()) {
      e->rep.decision = Decision::kDeleteFailed;
      e->rep.error = it->second;
      owners_failed->insert(e->rep.owner);
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

}  // namespace

common::Task<void> delete_records(registry::Registry& registry, std::vector<Entry*> doomed, Report* report) {
  std::vector<Entry*> phases[2];
  for (Entry* e : doomed) phases[e->kind == EntryKind::kHost ? 1 : 0].push_back(e);
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
    auto applied = co_await registry.apply(std::move(changes));
    if (applied.ok()) {
      take_answer(batch, *applied, report, &owners_failed);
    } else {
      failed_all(batch, applied.error(), report, &owners_failed);
    }
  }
}

common::Task<void> stop_failing_tasks(CloudChecker& cloud, const Entries* entries, bool dry_run, Report* report) {
  std::map<std::string, std::vector<Entry*>> tasks;  // task ARN -> its failing records
  std::map<std::string, std::string> cluster_of;
  for (const auto& e : *entries) {
    std::string arn = e->record.label_or(model::label::kTaskArn);
    // Only tasks ECS lists as running: a stopped task needs no stopping.
    if (!e->http_down || arn.empty() || e->cloud.ecs != Verdict::kAlive || e->cloud.cluster.empty()) continue;
    tasks[arn].push_back(e.get());
    cluster_of[arn] = e->cloud.cluster;
  }
  for (auto& [arn, records] : tasks) {
    std::string outcome;
    if (dry_run) {
      outcome = "would-stop";
      log::info("would stop a failing ECS task (dry run)", {{"task", arn}, {"cluster", cluster_of[arn]}});
    } else {
      auto s = co_await cloud.stop_task(cluster_of[arn], arn, std::string(kStopReason));
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
