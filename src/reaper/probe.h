#pragma once
// One health check of one target: a TCP connect, or an HTTP GET whose status
// must match the record's rule. Behind an interface so the reaper's pass can be
// unit-tested with scripted results and a simulated clock.
#include <chrono>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "reaper/check.h"

namespace ecssd::reaper {

template <typename T>
using Task = boost::asio::awaitable<T>;

struct ProbeResult {
  bool healthy = false;
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
  virtual Task<ProbeResult> check(CheckSpec spec) = 0;
};

// The real probe: Asio TCP connects and Beast HTTP/1.1 requests (plain HTTP:
// targets are inside the VPC), each with its own deadline, on the calling
// coroutine's executor. No threads; a new connection per check.
class NetworkProbe final : public Probe {
 public:
  Task<ProbeResult> check(CheckSpec spec) override;
};

}  // namespace ecssd::reaper
