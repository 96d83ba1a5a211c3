#pragma once
// The stage of a pass that decides what is dead, and what becomes of it.
//
// A service record is dead when ECS says its task stopped or EC2 says its
// instance stopped or terminated (even if something answers on the port: it
// may be another container), or when its target failed `fall` consecutive
// checks. It is kept when its labels describe no usable check or check=none,
// when it started less than --grace ago, or when its target is healthy or
// reached no verdict. A host record goes only when no record of its owner
// stays; a record whose companion TXT is missing only when all its owner's
// other records are dead. If more than --max-delete-fraction of the owned
// records would go, or checked records failed while not one checked target
// answered (the reaper may be cut off from them all), nothing is deleted
// (unless --force) and the pass fails.
#include <chrono>
#include <vector>

#include "reaper/check_scheduler.h"
#include "reaper/entry.h"
#include "reaper/options.h"
#include "reaper/report.h"

namespace ecssd::reaper {

// Judges the service records: sets dead and reason, and copies the result of
// each checked record's target (result, checks, detail). `grace` is only
// quoted in reasons.
void judge_services(Entries& entries, const CheckResults& checks, std::chrono::milliseconds grace);

// Judges the records that depend on their owner's service records (once those
// are judged): orphans (companion missing), then host records.
void judge_dependents(Entries& entries);

// Returns the dead entries, after the safety valve: fills report.dead and
// report.valve (tripped fails the pass with an error; forced is logged), and
// marks each dead entry kHeld (valve tripped), kWouldDelete (--dry-run, logged)
// or kReadOnly (report.read_only, warned once). When none of the three
// applies they stay kKeep: they are to be deleted (deletion.h).
std::vector<Entry*> decide(Entries& entries, const ReaperOptions& options, Report& report);

}  // namespace ecssd::reaper
