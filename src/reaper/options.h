#pragma once
// The reaper's settings (the flags of `ecssd reap`), shared by the stages of a
// pass.
#include <chrono>
#include <cstddef>
#include <string_view>

#include "health/tracker.h"

namespace ecssd::reaper {

inline constexpr std::string_view kStopReason = "ecssd health check failed";

struct ReaperOptions {
  health::HealthPolicy health;                    // --fail-threshold, --rise-threshold, --check-interval
  std::chrono::milliseconds check_timeout{2000};  // --check-timeout: when the record has no check-timeout label
  std::chrono::milliseconds grace{60'000};        // --grace
  // --concurrency: probes in flight at most; 0 (the default) is
  // auto_concurrency(common::open_file_limit()), resolved by the Reaper.
  size_t concurrency = 0;
  double max_delete_fraction = 0.5;               // --max-delete-fraction
  bool force = false;                             // --force: ignore the safety valve
  bool dry_run = false;                           // --dry-run: decide and report, change nothing
  // --stop-failing-tasks: stop the ECS task of a record whose HTTP check
  // reached the fail threshold (needs a CloudChecker that asks ECS).
  bool stop_failing_tasks = false;
};

// Probes in flight when --concurrency is not given: as many sockets as the
// open-file limit leaves after kReservedFiles for everything else (the
// provider's connections, the log, the status page), at most
// kMaxAutoConcurrency, at least 1. A silent target holds its slot for the
// whole timeout of every try, so the slots, not the CPU, bound a pass over
// many dead hosts: 500 silent targets x 3 tries x 2 s take 12 s of 256 slots
// and 1.5 s of 1024.
inline constexpr size_t kReservedFiles = 64;
inline constexpr size_t kMaxAutoConcurrency = 2048;
size_t auto_concurrency(size_t open_file_limit);

}  // namespace ecssd::reaper
