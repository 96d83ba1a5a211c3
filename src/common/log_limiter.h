#pragma once
// Repeated bad input (malformed DNS queries, broken engine payloads) logged at
// a bounded rate, never a line per packet. The first occurrence from a source
// (a peer address, a container) is written in full; the next ones within the
// window are only counted, and when the window ends one line says how many:
//   "41 more malformed DNS queries from 10.0.0.7 in the last minute".
// While they keep coming that is one line a window; a source quiet for a
// whole window is forgotten, so its next occurrence is written in full again.
// At most max_sources sources are told apart at once; the others share one
// count ("other sources"), so neither memory nor lines grow with the number
// of peers: at most 2 * (max_sources + 1) lines a window.
//
// The count lines are written when the window ends, on a Timer of the
// TimeSystem running on the executor given. Not thread-safe: one limiter per
// thread, used from that executor only, destroyed before it.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "common/clock.h"
#include "common/log.h"
#include "common/time_system.h"

namespace ecssd::common {

struct LogLimiterOptions {
  Duration window = std::chrono::minutes(1);
  size_t max_sources = 16;
  // The field naming the source in every line ("from", "container").
  std::string source_field = "from";
  // Where the lines go; log::write when empty (tests capture them here).
  std::function<void(spdlog::level::level_enum, std::string_view, const std::vector<log::Field>&)> write;
};

class LogLimiter {
 public:
  using Options = LogLimiterOptions;

  // `what` names the occurrences in the count lines, plural: "malformed DNS
  // queries". `time` must outlive the limiter.
  LogLimiter(TimeSystem& time, boost::asio::any_io_executor executor, std::string what, Options options = {});
  // close().
  ~LogLimiter();
  LogLimiter(const LogLimiter&) = delete;
  LogLimiter& operator=(const LogLimiter&) = delete;

  // One occurrence from `source`. Written as `msg` with `fields` plus
  // <source_field>=<source> when the source has no window open; otherwise counted.
  // True when written.
  bool note(std::string_view source, spdlog::level::level_enum level, std::string_view msg,
            log::Fields fields = {});

  // Writes the count lines of the windows that have ended (the timer does
  // this; exposed for callers that want it sooner).
  void flush();

  // Writes the counts still pending (covering the time since their window
  // began) and stops the timer, so that it keeps no io_context busy; later
  // occurrences are written in full again. For a component's stop().
  void close();

  // Occurrences counted and not written, since construction.
  uint64_t suppressed() const;
  // Sources with a window open.
  size_t sources() const;

  // The key shared by the sources beyond max_sources.
  static constexpr std::string_view kOtherSources = "other sources";

 private:
  struct Core;
  std::shared_ptr<Core> core_;
};

}  // namespace ecssd::common
