#include "common/log_limiter.h"

#include <algorithm>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <fmt/format.h>

#include "common/duration.h"

namespace ecssd::common {

// Shared with the coroutine that writes the count lines, which may still be
// parked on the timer when the limiter goes.
struct LogLimiter::Core : std::enable_shared_from_this<Core> {
  struct Window {
    SteadyTime start{};
    uint64_t count = 0;  // counted since start, not written
    spdlog::level::level_enum level = spdlog::level::info;
    std::string last;  // the message of the last one counted
  };

  Core(TimeSystem& t, boost::asio::any_io_executor ex, std::string w, Options o)
      : time(t), executor(std::move(ex)), what(std::move(w)), options(std::move(o)), timer(time.make_timer(executor)) {}

  TimeSystem& time;
  boost::asio::any_io_executor executor;
  std::string what;
  Options options;
  std::unique_ptr<Timer> timer;
  std::map<std::string, Window, std::less<>> windows;
  uint64_t suppressed = 0;
  bool pumping = false;
  bool dead = false;

  void write(spdlog::level::level_enum level, std::string_view msg, const std::vector<log::Field>& fields) const {
    if (options.write) {
      options.write(level, msg, fields);
    } else {
      log::write(level, msg, fields);
    }
  }

  // "minute" for a whole minute (the usual window), else "20s".
  static std::string span_text(Duration span) {
    auto s = std::max(std::chrono::ceil<std::chrono::seconds>(span), std::chrono::seconds(1));
    if (s == std::chrono::minutes(1)) return "minute";
    return format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(s));
  }

  void summary(const std::string& source, const Window& w, Duration span) const {
    std::string when = span_text(span);
    std::string msg = fmt::format("{} more {} from {} in the last {}", w.count, what, source, when);
    write(w.level, msg,
          {{"count", w.count}, {options.source_field, source}, {"window", when}, {"last", w.last}});
  }

  // Count lines for the windows that ended; a window with nothing counted
  // closes, one with counts goes on (a flood stays at one line a window).
  void flush(SteadyTime now) {
    for (auto it = windows.begin(); it != windows.end();) {
      Window& w = it->second;
      if (w.start + options.window > now) {
        ++it;
        continue;
      }
      if (w.count == 0) {
        it = windows.erase(it);
        continue;
      }
      summary(it->first, w, options.window);
      w.start = now;
      w.count = 0;
      w.last.clear();
      ++it;
    }
  }

  std::optional<SteadyTime> earliest_end() const {
    std::optional<SteadyTime> out;
    for (const auto& [source, w] : windows) {
      auto end = w.start + options.window;
      if (!out || end < *out) out = end;
    }
    return out;
  }

  void arm() {
    if (pumping || dead) return;
    pumping = true;
    boost::asio::co_spawn(executor, pump(shared_from_this()), boost::asio::detached);
  }

  // Waits for each window's end and flushes, until no window is open.
  static Task<void> pump(std::shared_ptr<Core> self) {
    while (!self->dead) {
      auto next = self->earliest_end();
      if (!next) break;
      self->timer->expires_at(*next);
      const bool fired = co_await self->timer->wait();
      if (!fired) continue;  // close(): ends here unless a window opened since
      if (self->dead) break;
      self->flush(self->time.steady_now());
    }
    self->pumping = false;
  }

  size_t named_sources() const {
    return windows.size() - (windows.find(kOtherSources) != windows.end() ? 1 : 0);
  }
};

LogLimiter::LogLimiter(TimeSystem& time, boost::asio::any_io_executor executor, std::string what, Options options)
    : core_(std::make_shared<Core>(time, std::move(executor), std::move(what), std::move(options))) {}

LogLimiter::~LogLimiter() {
  close();
  core_->dead = true;
}

void LogLimiter::close() {
  Core& c = *core_;
  const SteadyTime now = c.time.steady_now();
  for (const auto& [source, w] : c.windows) {
    if (w.count > 0) c.summary(source, w, now - w.start);
  }
  c.windows.clear();
  c.timer->cancel();  // the pump ends: no window is open
}

bool LogLimiter::note(std::string_view source, spdlog::level::level_enum level, std::string_view msg,
                      log::Fields fields) {
  Core& c = *core_;
  const SteadyTime now = c.time.steady_now();
  c.flush(now);
  auto it = c.windows.find(source);
  if (it == c.windows.end() && c.named_sources() >= c.options.max_sources) it = c.windows.find(kOtherSources);
  if (it != c.windows.end()) {
    Core::Window& w = it->second;
    ++w.count;
    ++c.suppressed;
    w.level = std::max(w.level, level);
    w.last = std::string(msg);
    return false;
  }
  const bool crowded = c.named_sources() >= c.options.max_sources;
  Core::Window& w = c.windows[crowded ? std::string(kOtherSources) : std::string(source)];
  w.start = now;
  w.level = level;
  std::vector<log::Field> all(fields.begin(), fields.end());
  all.emplace_back(c.options.source_field, source);
  c.write(level, msg, all);
  c.arm();
  return true;
}

void LogLimiter::flush() { core_->flush(core_->time.steady_now()); }

uint64_t LogLimiter::suppressed() const { return core_->suppressed; }

size_t LogLimiter::sources() const { return core_->windows.size(); }

}  // namespace ecssd::common
