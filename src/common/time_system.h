#pragma once
// The one seam for time (after Envoy's event::TimeSystem): a TimeSource that
// also hands out the timers. Everything that waits (the agent's batching, the
// Docker source's reconnect backoff, Route 53 retries, the reaper's schedule)
// waits on a Timer from the TimeSystem it was given, so unit tests drive all of
// it with SimulatedTimeSystem and never sleep or read the wall clock.
#include <memory>
#include <optional>
#include <set>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/clock.h"
#include "common/task.h"

namespace ecssd::common {

// A re-armable one-shot timer. Its waits run on the executor it was made for.
// Not thread-safe: use it from that executor only.
class Timer {
 public:
  virtual ~Timer() = default;

  // Sets the expiry. A wait in progress keeps waiting, for the new expiry.
  virtual void expires_at(SteadyTime when) = 0;
  void expires_after(Duration d) { expires_at(now() + d); }
  // Never expires until armed again (the expiry is SteadyTime::max()).
  void disarm() { expires_at(SteadyTime::max()); }
  virtual SteadyTime expiry() const = 0;

  // Ends every wait in progress early: they return false. Later waits are not
  // affected.
  virtual void cancel() = 0;

  // Resumes once the expiry is reached (true; at once when it has passed) or
  // when cancel() is called or the timer is destroyed (false). Never throws.
  // At most one wait at a time.
  virtual Task<bool> wait() = 0;

 protected:
  virtual SteadyTime now() const = 0;
};

class TimeSystem : public TimeSource {
 public:
  virtual std::unique_ptr<Timer> make_timer(boost::asio::any_io_executor executor) = 0;

  // Resumes at `when` (at once when it has passed), on the caller's executor.
  Task<void> sleep_until(SteadyTime when);
  Task<void> sleep_for(Duration d);
};

// Asio steady timers on std::chrono::steady_clock.
class RealTimeSystem final : public TimeSystem {
 public:
  SteadyTime steady_now() const override { return std::chrono::steady_clock::now(); }
  SystemTime system_now() const override { return std::chrono::system_clock::now(); }
  std::unique_ptr<Timer> make_timer(boost::asio::any_io_executor executor) override;
};

// Time that moves only when told to. Timers expire when advance() or run_for()
// moves time past their expiry; their waits then resume the next time the
// io_context runs. Timers must not outlive the system that made them: declare
// the system before the io_context whose coroutines hold its timers.
class SimulatedTimeSystem final : public TimeSystem {
 public:
  explicit SimulatedTimeSystem(SystemTime start = SystemTime(std::chrono::seconds(1'700'000'000)))
      : system_(start) {}
  SimulatedTimeSystem(const SimulatedTimeSystem&) = delete;
  SimulatedTimeSystem& operator=(const SimulatedTimeSystem&) = delete;

  SteadyTime steady_now() const override { return steady_; }
  SystemTime system_now() const override { return system_; }
  std::unique_ptr<Timer> make_timer(boost::asio::any_io_executor executor) override;

  // Moves both clocks forward and wakes the timers that expired (without
  // running the io_context).
  void advance(Duration d);
  // Runs `io` until nothing is ready, moves time to the next timer expiry not
  // after now + d, runs again, and so on; ends at exactly now + d with nothing
  // ready. Everything scheduled within d happens, in order of its time.
  void run_for(boost::asio::io_context& io, Duration d);
  // Runs `io` (as run_for) until `done()` holds, moving time as needed, but
  // not beyond now + limit. Returns done().
  template <typename Pred>
  bool run_until(boost::asio::io_context& io, Pred done, Duration limit);
  // The earliest expiry of a timer that is being waited on, if any.
  std::optional<SteadyTime> next_expiry() const;

 private:
  class SimTimer;
  void set_now(SteadyTime t);
  void wake_due();
  static void poll(boost::asio::io_context& io);

  SteadyTime steady_{};
  SystemTime system_;
  std::set<SimTimer*> timers_;
};

template <typename Pred>
bool SimulatedTimeSystem::run_until(boost::asio::io_context& io, Pred done, Duration limit) {
  const SteadyTime end = steady_ + std::chrono::duration_cast<SteadyTime::duration>(limit);
  poll(io);
  while (!done()) {
    auto next = next_expiry();
    if (!next || *next > end) {
      set_now(end);
      poll(io);
      break;
    }
    set_now(std::max(*next, steady_));
    poll(io);
  }
  return done();
}

}  // namespace ecssd::common
