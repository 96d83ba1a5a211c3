// Durations as flags and SERVICE_<port>_CHECK_TIMEOUT write them
// (common/duration.h). Invariants: a parsed duration is not negative, its
// canonical spelling parses back to the same value and is a fixed point of
// format(parse(...)); every duration's spelling round-trips.
#include <cstring>

#include "common/duration.h"
#include "fuzz_util.h"

namespace {

void round_trip(std::chrono::milliseconds d, std::string_view from) {
  using ecssd::common::format_duration;
  using ecssd::common::parse_duration;
  std::string text = format_duration(d);
  auto back = parse_duration(text);
  FUZZ_CHECK(back.ok(), fmt::format("format_duration({}ms) = \"{}\" does not parse (from \"{}\"): {}", d.count(),
                                    text, from, back.ok() ? "" : back.error().message));
  FUZZ_CHECK(*back == d, fmt::format("\"{}\" parses as {}ms, not {}ms (from \"{}\")", text, back->count(), d.count(), from));
  FUZZ_CHECK(format_duration(*back) == text, "the canonical spelling is not a fixed point: " + text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ecssd;
  std::string_view text = fuzz::as_text(data, size);
  auto d = common::parse_duration(text);
  if (d.ok()) {
    FUZZ_CHECK(d->count() >= 0, fmt::format("\"{}\" is negative", text));
    round_trip(*d, text);
  } else {
    FUZZ_CHECK(d.error().code == common::ErrorCode::kInvalidArgument, d.error().describe());
  }
  // Any count of milliseconds a flag could hold, from the input's first octets.
  if (size >= 8) {
    int64_t ms;
    std::memcpy(&ms, data, sizeof ms);
    ms &= (int64_t{1} << 52) - 1;  // below the parser's bound (2^62 microseconds)
    round_trip(std::chrono::milliseconds(ms), text);
  }
  return 0;
}
