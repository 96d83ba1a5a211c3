#pragma once
// What one reap pass saw and did, record by record: the --output json report,
// the Lambda function's answer, and the text summary.
#include <chrono>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "model/record.h"

namespace ecssd::reaper {

enum class Decision {
  kKeep,
  kDeleted,       // deleted in this pass
  kWouldDelete,   // --dry-run
  kHeld,          // dead, but the safety valve stopped the deletion
  kReadOnly,      // dead, but the provider cannot delete (embedded, read by AXFR)
  kDeleteFailed,  // the provider refused or failed
};
std::string_view to_string(Decision d);

struct RecordReport {
  // The record as listed.
  std::string name;
  std::string type;
  std::string set_identifier;
  std::vector<std::string> values;
  std::string owner;
  std::string kind;  // "service", "host", or "orphan" (companion missing)
  std::string container_name;
  std::string service;

  std::string target;  // "ip:port" checked, empty when none
  std::string check;   // "tcp", "http GET /health expect 200", "none", "-"
  // "healthy", "dead", "unsettled" (no threshold reached), "not-checked".
  std::string result;
  int checks = 0;                // probes sent for its target in this pass
  std::string detail;            // the last probe's answer, or why it was not probed
  std::string ecs;               // verdict: not-asked, unknown, alive, dead
  std::string ecs_detail;        // "RUNNING", "STOPPED (desired STOPPED)"...
  std::string ec2;
  std::string ec2_detail;
  // The agent's last verdict from the ownership data ("passing since ..."),
  // empty when its agent does not check it.
  std::string agent_health;

  bool dead = false;
  std::string reason;  // why it is dead, or why it is kept
  Decision decision = Decision::kKeep;
  std::string error;      // kDeleteFailed: the provider's error
  std::string task_stop;  // "stopped", "would-stop", "failed: ..." (--stop-failing-tasks)
};

struct SafetyValve {
  bool tripped = false;
  bool forced = false;      // --force overrode it
  double fraction = 0;      // dead / owned
  double limit = 0.5;       // --max-delete-fraction
};

struct Report {
  std::string zone;                // the first zone (the provider's zone())
  std::vector<std::string> zones;  // every zone read, `zone` first (start_report sets both)
  // `zones`, or `zone` alone in a report made without them.
  std::vector<std::string> zones_read() const { return zones.empty() && !zone.empty() ? std::vector{zone} : zones; }
  std::string provider;
  std::string started;  // RFC 3339 UTC
  std::chrono::milliseconds duration{0};
  bool dry_run = false;
  bool read_only = false;  // the provider cannot delete

  size_t owned = 0;    // ecssd-owned records listed
  size_t foreign = 0;  // records ecssd does not own (never touched)
  size_t targets_checked = 0;
  size_t probes = 0;
  size_t dead = 0;
  size_t deleted = 0;
  size_t tasks_stopped = 0;
  SafetyValve valve;

  // False when the pass failed: listing, safety valve, deletion or AWS errors.
  bool ok = true;
  std::vector<std::string> errors;
  std::vector<RecordReport> records;  // owned records, sorted by name, type, set id
};

// The report as JSON. With only_changes, records kept are left out (and
// "records_omitted" says how many): the Lambda answer must stay under 6 MB.
boost::json::value to_json(const Report& report, bool only_changes = false);
// The JSON text; falls back to only_changes when longer than max_bytes (0: no bound).
std::string to_json_text(const Report& report, size_t max_bytes = 0);

// One line per record that is not kept, then a summary line.
std::string to_text(const Report& report);

// "deleted 2 of 12 owned records (3 foreign kept) ..." for logs and errors.
std::string summary(const Report& report);

}  // namespace ecssd::reaper
