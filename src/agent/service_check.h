#pragma once
// Which check the agent runs for a service, if any: the one it declares
// (SERVICE_<port>_CHECK_HTTP / _CHECK_TCP=true), or a TCP connect for every
// TCP service under --check-all tcp. The check goes where the service's
// records point (model::service_address): the host's address and published
// port, or the container's own with --target container. Pure.
#include <chrono>
#include <string>

#include "health/check_spec.h"
#include "model/record_builder.h"
#include "model/service.h"

namespace ecssd::agent {

// The agent's defaults, for what a container leaves out (--check-interval,
// --check-timeout, --check-rise, --check-fall), and --check-start-interval.
struct CheckDefaults {
  std::chrono::milliseconds interval{10'000};
  // Between the checks of a service that has no verdict yet (just started),
  // as Docker's HEALTHCHECK --start-interval: a port that opens a moment
  // after the container starts is published a second later, not an interval.
  std::chrono::milliseconds start_interval{1'000};
  std::chrono::milliseconds timeout{2'000};
  int rise = 1;
  int fall = 3;
};

struct CheckSettings {
  model::RecordConfig records;  // where the records point
  bool check_all_tcp = false;   // --check-all tcp
  CheckDefaults defaults;
};

struct ServiceCheck {
  bool checked = false;  // false: published as soon as the source has it
  health::CheckSpec spec;
  std::chrono::milliseconds interval{10'000};
  // Until its first verdict: --check-start-interval, never more than `interval`.
  std::chrono::milliseconds start_interval{1'000};
  int rise = 1;
  int fall = 3;
  // Why a check that was asked for cannot run (a UDP port, no address);
  // such a service is published unchecked, as it would be without the check.
  std::string note;
  bool operator==(const ServiceCheck&) const = default;
};

ServiceCheck service_check(const model::Service& s, const CheckSettings& settings);

// "http GET /health expect 2xx/3xx every 10s" for pages and logs.
std::string describe(const ServiceCheck& c);

}  // namespace ecssd::agent
