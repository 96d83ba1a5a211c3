#include "common/time_system.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ecssd::common {
namespace {

namespace asio = boost::asio;

// Both timers park their waiter on an Asio steady_timer. cancel() is told
// apart from a re-arm (which aborts an Asio wait too) by a generation count.
// The state a wait touches after it resumes lives in a shared block, so that
// destroying the timer while a wait is parked ends that wait (false) instead
// of leaving it to read a destroyed object.
struct TimerState {
  explicit TimerState(asio::any_io_executor ex) : park(std::move(ex)) { park.expires_at(SteadyTime::max()); }
  asio::steady_timer park;
  SteadyTime expiry = SteadyTime::max();
  uint64_t cancels = 0;
  bool alive = true;
  bool waiting = false;
};

class RealTimer final : public Timer {
 public:
  explicit RealTimer(asio::any_io_executor ex) : st_(std::make_shared<TimerState>(std::move(ex))) {}
  ~RealTimer() override {
    st_->alive = false;
    st_->park.cancel();
  }
  void expires_at(SteadyTime when) override {
    st_->expiry = when;
    st_->park.expires_at(when);  // aborts a wait in progress, which then waits again
  }
  SteadyTime expiry() const override { return st_->expiry; }
  void cancel() override {
    ++st_->cancels;
    st_->park.cancel();
  }
  Task<bool> wait() override {
    std::shared_ptr<TimerState> st = st_;
    const uint64_t gen = st->cancels;
    while (true) {
      if (!st->alive || st->cancels != gen) co_return false;
      if (std::chrono::steady_clock::now() >= st->expiry) co_return true;
      boost::system::error_code ec;
      co_await st->park.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

 protected:
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }

 private:
  std::shared_ptr<TimerState> st_;
};

}  // namespace

Task<void> TimeSystem::sleep_until(SteadyTime when) {
  auto timer = make_timer(co_await asio::this_coro::executor);
  timer->expires_at(when);
  co_await timer->wait();
}

Task<void> TimeSystem::sleep_for(Duration d) {
  co_await sleep_until(steady_now() + std::chrono::duration_cast<SteadyTime::duration>(d));
}

std::unique_ptr<Timer> RealTimeSystem::make_timer(asio::any_io_executor executor) {
  return std::make_unique<RealTimer>(std::move(executor));
}

// A simulated timer's park never expires by itself; the system cancels it to
// wake the waiter, which then looks at the simulated time.
class SimulatedTimeSystem::SimTimer final : public Timer {
 public:
  SimTimer(SimulatedTimeSystem& sys, asio::any_io_executor ex)
      : sys_(sys), st_(std::make_shared<TimerState>(std::move(ex))) {
    sys_.timers_.insert(this);
  }
  ~SimTimer() override {
    sys_.timers_.erase(this);
    st_->alive = false;
    st_->park.cancel();
  }

  void expires_at(SteadyTime when) override {
    st_->expiry = when;
    if (st_->waiting && when <= sys_.steady_) st_->park.cancel();
  }
  SteadyTime expiry() const override { return st_->expiry; }
  void cancel() override {
    ++st_->cancels;
    st_->park.cancel();
  }
  Task<bool> wait() override {
    std::shared_ptr<TimerState> st = st_;
    const SimulatedTimeSystem* sys = &sys_;
    const uint64_t gen = st->cancels;
    st->waiting = true;
    struct Done {
      TimerState& s;
      ~Done() { s.waiting = false; }
    } done{*st};
    while (true) {
      // Once the timer is gone, so may be the system: read neither.
      if (!st->alive || st->cancels != gen) co_return false;
      if (sys->steady_ >= st->expiry) co_return true;
      boost::system::error_code ec;
      co_await st->park.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  bool waiting() const { return st_->waiting; }
  void wake() { st_->park.cancel(); }

 protected:
  SteadyTime now() const override { return sys_.steady_; }

 private:
  SimulatedTimeSystem& sys_;
  std::shared_ptr<TimerState> st_;
};

std::unique_ptr<Timer> SimulatedTimeSystem::make_timer(asio::any_io_executor executor) {
  return std::make_unique<SimTimer>(*this, std::move(executor));
}

void SimulatedTimeSystem::set_now(SteadyTime t) {
  if (t > steady_) {
    system_ += std::chrono::duration_cast<SystemTime::duration>(t - steady_);
    steady_ = t;
  }
  wake_due();
}

void SimulatedTimeSystem::advance(Duration d) {
  set_now(steady_ + std::chrono::duration_cast<SteadyTime::duration>(d));
}

void SimulatedTimeSystem::wake_due() {
  for (SimTimer* t : timers_) {
    if (t->waiting() && t->expiry() <= steady_) t->wake();
  }
}

std::optional<SteadyTime> SimulatedTimeSystem::next_expiry() const {
  std::optional<SteadyTime> out;
  for (const SimTimer* t : timers_) {
    if (t->waiting() && t->expiry() != SteadyTime::max() && (!out || t->expiry() < *out)) out = t->expiry();
  }
  return out;
}

void SimulatedTimeSystem::poll(asio::io_context& io) {
  io.restart();
  io.poll();
}

void SimulatedTimeSystem::run_for(asio::io_context& io, Duration d) {
  run_until(io, [] { return false; }, d);
}

}  // namespace ecssd::common
