#pragma once
// The timestamps AWS writes in credentials and API answers:
// "2015-08-30T12:36:00Z", with optional fraction and "+hh:mm" offset.
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace ecssd::aws {

// nullopt for anything that is not such a timestamp, and for times the
// system clock cannot hold (before 1678 or after 2261).
std::optional<common::SystemTime> parse_iso8601(std::string_view text);

// "2015-08-30T12:36:00Z" (whole seconds, UTC).
std::string format_iso8601(common::SystemTime t);

}  // namespace ecssd::aws
