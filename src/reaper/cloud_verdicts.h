#pragma once
// The stage of a pass that asks ECS and EC2 about the task and the instance
// behind each owned record (labels task-arn, cluster, instance). It comes
// before the checks: a record ECS or EC2 says is gone needs no probe.
#include <vector>

#include "common/task.h"
#include "reaper/cloud_check.h"
#include "reaper/entry.h"
#include "reaper/report.h"

namespace ecssd::reaper {

// What to ask about each entry, in entry order.
std::vector<CloudTarget> cloud_targets(const Entries& entries);

// Gives each entry its verdict (cloud.verdicts is in entry order). Each failed
// call is an error of the pass (report.ok = false), logged once; the records
// it left kUnknown are judged by their health checks only.
void take_verdicts(Entries& entries, CloudReport cloud, Report& report);

// Both, around one CloudChecker::check when the checker asks ECS or EC2.
// Never throws.
common::Task<void> ask_cloud(CloudChecker& cloud, Entries* entries, Report* report);

}  // namespace ecssd::reaper
