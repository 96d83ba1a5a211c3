#pragma once
// The first stage of a pass: which listed records the reaper judges, what
// kind each is, and which targets it health-checks.
#include <chrono>
#include <cstddef>
#include <vector>

#include "common/clock.h"
#include "model/record.h"
#include "reaper/check.h"
#include "reaper/entry.h"

namespace ecssd::reaper {

struct Selection {
  Entries entries;     // the owned records, in listing order
  size_t foreign = 0;  // records ecssd does not own: only counted, never touched
};

// Consumes the listing. Owned records become entries: kind=host records are
// kHost, records whose companion TXT is missing (registry::Orphan::
// kNoCompanion) kOrphan, all others kService, with the check their labels
// declare (`check_timeout` when they name none; spec_error when unusable) and
// their age from the "started" label: young when less than `grace` before
// `now` (an unreadable start time protects nothing).
Selection select_owned(std::vector<model::Record> listed, std::chrono::milliseconds check_timeout,
                       std::chrono::milliseconds grace, common::SystemTime now);

// The targets to health-check: one per distinct check (the A and AAAA records
// of one container share one) among service records whose check is usable and
// not check=none, that are out of their grace, and that neither ECS nor EC2
// says are gone (so the cloud verdicts come first). Sets each such entry's
// `target` to the index of its check in the result.
std::vector<CheckSpec> check_targets(Entries& entries);

}  // namespace ecssd::reaper
