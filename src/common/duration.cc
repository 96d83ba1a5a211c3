#include "common/duration.h"

#include <cctype>
#include <cstdint>
#include <limits>

#include <fmt/format.h>

namespace ecssd::common {

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto fail = [&](const char* why) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("invalid duration \"{}\": {} (use e.g. 500ms, 5s, 5m, 1h)", text, why));
  };
  if (text.empty()) return fail("empty");
  if (text == "0") return std::chrono::milliseconds(0);
  // Work in microseconds so "250us" and "1.5s" are exact, then round to ms.
  long double total_us = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    bool dot = false;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || (text[i] == '.' && !dot))) {
      if (text[i] == '.') dot = true;
      ++i;
    }
    if (i == start) return fail("expected a number");
    long double number = 0;
    try {
      number = std::stold(std::string(text.substr(start, i - start)));
    } catch (...) {
      return fail("bad number");
    }
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    long double scale = 0;
    if (unit == "us" || unit == "µs") scale = 1;
    else if (unit == "ms") scale = 1e3;
    else if (unit == "s") scale = 1e6;
    else if (unit == "m") scale = 60e6;
    else if (unit == "h") scale = 3600e6;
    else if (unit.empty()) return fail("missing unit");
    else return fail("unknown unit");
    total_us += number * scale;
    if (total_us > static_cast<long double>(std::numeric_limits<int64_t>::max() / 2)) return fail("too long");
  }
  return std::chrono::milliseconds(static_cast<int64_t>((total_us + 500) / 1000));
}

std::string format_duration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  if (ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  if (ms > 1000) return fmt::format("{}s", static_cast<double>(ms) / 1000.0);
  return fmt::format("{}ms", ms);
}

}  // namespace ecssd::common
