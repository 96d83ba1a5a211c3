#pragma once
// What the reaper checks for one record, read from the record's own ownership
// labels (addr, check, check-http, check-http-status, check-timeout), so the
// reaper needs no access to the container engine. The check itself is the
// shared health::CheckSpec, probed by health::Probe.
#include <chrono>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "health/check_spec.h"
#include "model/record.h"

namespace ecssd::reaper {

using health::CheckKind;
using health::CheckSpec;

// The check a record's labels describe. `default_timeout` applies when the
// record has no check-timeout label. A record with check=none is a valid
// kNone spec (its address may be missing). Errors: kInvalidArgument naming the
// label that is missing or malformed (a record without "addr", an unknown
// "check" value, a bad path, status or timeout).
common::Result<CheckSpec> check_from_labels(const model::Labels& labels, std::chrono::milliseconds default_timeout);

// The agent's last verdict on the record's check, from its health and
// health-since labels: "passing since 2026-11-25T08:12:35Z"; empty when the
// agent did not check it.
std::string agent_verdict(const model::Labels& labels);

}  // namespace ecssd::reaper
