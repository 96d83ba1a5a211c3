#pragma once
// What one pass knows about one owned record as it goes through the stages:
// selection (selection.h), the cloud verdicts (cloud_verdicts.h), the checks
// (check_scheduler.h), the decision (decision.h), the deletion (deletion.h)
// and the report (report_builder.h). Each stage fills in its part.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/record.h"
#include "reaper/check.h"
#include "reaper/cloud_check.h"
#include "reaper/report.h"

namespace ecssd::reaper {

enum class EntryKind {
  kService,  // a record of a container, judged by its check and by ECS/EC2
  kHost,     // kind=host: goes with its owner's last record
  kOrphan,   // its companion TXT is missing: goes only when its owner is dead
};
// "service", "host", "orphan" (the report's kind).
std::string_view to_string(EntryKind kind);

// What the report will say about a record, filled in as the pass goes (the
// rest of its RecordReport is built from the record at the end, so the pass
// does not hold every name and value twice).
struct Outcome {
  std::string owner;
  std::string_view result = "not-checked";  // "healthy", "dead", "unsettled", "not-checked"
  int checks = 0;
  std::string detail;
  bool dead = false;
  std::string reason;
  Decision decision = Decision::kKeep;
  std::string error;
  std::string task_stop;
};

struct Entry {
  model::Record record;  // exactly as listed (deletions name these values)
  Outcome rep;
  EntryKind kind = EntryKind::kService;
  // Service records: the check the labels declare, or why there is none.
  std::optional<CheckSpec> spec;
  std::string spec_error;
  bool young = false;  // started less than --grace ago
  std::string age;     // "12s" when known
  long target = -1;    // index of its check target, when checked
  CloudVerdict cloud;
  bool http_down = false;  // an HTTP check reached the fail threshold
};

// Owned records in listing order. Pointers stay valid while the pass runs;
// each entry is released once its report line is made.
using Entries = std::vector<std::unique_ptr<Entry>>;

}  // namespace ecssd::reaper
