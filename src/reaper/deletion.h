#pragma once
// The stage of a pass that changes things: deleting the dead records through
// the registry, and stopping the ECS tasks of failing HTTP checks
// (--stop-failing-tasks).
#include <vector>

#include "common/task.h"
#include "reaper/cloud_check.h"
#include "reaper/entry.h"
#include "reaper/report.h"
#include "registry/registry.h"

namespace ecssd::reaper {

// Deletes the records exactly as listed (Route 53 refuses a delete whose
// values differ): service records and orphans in one change, then host
// records in another, and only those of owners whose other deletions all went
// through, so a host record never goes while a record of its owner stays.
// Sets each entry's decision (kDeleted, kDeleteFailed with its error) and
// counts report.deleted; failures fail the pass (report.ok, errors) and are
// logged. Never throws.
common::Task<void> delete_records(registry::Registry& registry, std::vector<Entry*> doomed, Report* report);

// Stops the ECS task of every record whose HTTP check reached the fail
// threshold and that ECS lists as running (a stopped task needs no
// stopping), once per task, with reason kStopReason; with dry_run only says it
// would. Sets each record's task_stop and counts report.tasks_stopped; a
// failed stop fails the pass. Never throws.
common::Task<void> stop_failing_tasks(CloudChecker& cloud, const Entries* entries, bool dry_run, Report* report);

}  // namespace ecssd::reaper
