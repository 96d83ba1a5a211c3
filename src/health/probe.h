#pragma once
// One health check of one target: a TCP connect, or an HTTP GET whose status
// must match the rule. Behind an interface so the agent's gate and the
// reaper's pass can be unit-tested with scripted results and a simulated clock.
#include <chrono>
#include <string>
#include <string_view>

#include "common/task.h"
#include "health/check_spec.h"

namespace ecssd::health {

// What a check ended with, for metrics and log lines.
enum class Outcome {
  kPass,
  kStatus,   // HTTP answered with a status outside the rule
  kTimeout,  // no connection or answer within the deadline
  kRefused,  // connection refused or reset
  kError,    // anything else (bad address, closed without an answer, ...)
};
// "pass", "status", "timeout", "refused", "error" (the metric's outcome label).
std::string_view to_string(Outcome outcome);

struct ProbeResult {
  bool healthy = false;
  Outcome outcome = Outcome::kError;
  // What was seen: "connected", "HTTP 200", "connection refused",
  // "timed out after 2s", "HTTP 503 (expected 2xx/3xx)".
  std::string detail;
};

class Probe {
 public:
  virtual ~Probe() = default;
  // Checks `spec` once. A failed check is a result (healthy = false), never an
  // error or an exception. Completes within spec.timeout (plus scheduling
  // slack) whatever the target does. kNone specs are not probed by callers.
  virtual common::Task<ProbeResult> check(CheckSpec spec) = 0;
};

// The real probe: Asio TCP connects and Beast HTTP/1.1 requests (plain HTTP:
// targets are on the host or inside the VPC), each with its own deadline, on
// the calling coroutine's executor. No threads; a new connection per check.
class NetworkProbe final : public Probe {
 public:
  common::Task<ProbeResult> check(CheckSpec spec) override;
};

}  // namespace ecssd::health
