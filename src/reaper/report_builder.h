#pragma once
// The last stage of a pass: the report (report.h) as the stages leave it.
#include <chrono>
#include <string>
#include <vector>

#include "common/clock.h"
#include "reaper/entry.h"
#include "reaper/options.h"
#include "reaper/report.h"

namespace ecssd::reaper {

// The report of a pass that starts at `now` (an RFC 3339 UTC timestamp) on
// `zones` (every zone the pass reads, the provider's zones(); the first is
// report.zone), before anything is listed.
Report start_report(std::vector<std::string> zones, bool read_only, const ReaperOptions& options,
                    common::SystemTime now);

// The report line of an entry, moving its record's name, values and labels
// out of it (the pass never holds the zone twice). ECS and EC2 verdicts are
// only reported for service records.
RecordReport record_report(Entry& entry);

// Moves every entry into report.records, releasing each as it goes.
void add_records(Entries& entries, Report& report);

// Stamps the duration, sorts the records (name, type, set identifier) and
// logs "reap pass done" with the counts.
void finish_report(Report& report, std::chrono::milliseconds duration);

}  // namespace ecssd::reaper
