#pragma once
// Durations on the command line and in the environment are written as a number
// and a unit: "500ms", "5s", "5m", "1h", or a sum such as "1m30s".
#include <chrono>
#include <string>
#include <string_view>

#include "common/result.h"

namespace ecssd::common {

// Parses "500ms", "5s", "5m", "1h", "1h30m", "250us". A bare "0" is zero.
// Errors: kInvalidArgument naming the offending text.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

// The shortest canonical spelling: 1500ms -> "1.5s", 60000ms -> "1m".
std::string format_duration(std::chrono::milliseconds d);

}  // namespace ecssd::common
