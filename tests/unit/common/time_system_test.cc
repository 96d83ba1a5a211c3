#include "common/time_system.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <gtest/gtest.h>

namespace ecssd::common {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

TEST(SimulatedTimeSystem, TimersFireInOrderOfTheirTime) {
  SimulatedTimeSystem time;  // before the io_context: its coroutines hold timers
  asio::io_context io;
  const SteadyTime t0 = time.steady_now();
  std::vector<std::pair<int, Duration>> fired;
  auto sleeper = [&](int id, Duration d) -> Task<void> {
    co_await time.sleep_for(d);
    fired.emplace_back(id, time.steady_now() - t0);
  };
  asio::co_spawn(io, sleeper(1, 3s), asio::detached);
  asio::co_spawn(io, sleeper(2, 1s), asio::detached);
  asio::co_spawn(io, sleeper(3, 2s), asio::detached);
  time.run_for(io, 10s);
  ASSERT_EQ(fired.size(), 3u);
  EXPECT_EQ(fired[0], std::make_pair(2, Duration(1s)));
  EXPECT_EQ(fired[1], std::make_pair(3, Duration(2s)));
  EXPECT_EQ(fired[2], std::make_pair(1, Duration(3s)));
  EXPECT_EQ(time.steady_now() - t0, Duration(10s));
}

TEST(SimulatedTimeSystem, NothingFiresBeforeItsTime) {
  SimulatedTimeSystem time;  // before the io_context: its coroutines hold timers
  asio::io_context io;
  bool done = false;
  asio::co_spawn(io, [&]() -> Task<void> {
    co_await time.sleep_for(5s);
    done = true;
  }, asio::detached);
  time.run_for(io, 4999ms);
  EXPECT_FALSE(done);
  time.run_for(io, 1ms);
  EXPECT_TRUE(done);
}

TEST(SimulatedTimeSystem, CancelEndsTheWaitAndRearmingMovesIt) {
  SimulatedTimeSystem time;  // before the io_context: its coroutines hold timers
  asio::io_context io;
  auto timer = time.make_timer(io.get_executor());
  std::vector<bool> results;
  auto waiter = [&]() -> Task<void> {
    results.push_back(co_await timer->wait());
  };
  timer->disarm();
  asio::co_spawn(io, waiter(), asio::detached);
  time.run_for(io, 1h);
  EXPECT_TRUE(results.empty());  // disarmed: never expires
  timer->cancel();
  time.run_for(io, 0s);
  ASSERT_EQ(results, std::vector<bool>{false});

  timer->expires_after(10s);
  asio::co_spawn(io, waiter(), asio::detached);
  time.run_for(io, 5s);
  timer->expires_after(10s);  // re-armed while waiting: now due 15 s from the start
  time.run_for(io, 9s);
  EXPECT_EQ(results.size(), 1u);
  time.run_for(io, 1s);
  EXPECT_EQ(results, (std::vector<bool>{false, true}));
}

TEST(SimulatedTimeSystem, RunUntilStopsWhenThePredicateHolds) {
  SimulatedTimeSystem time;  // before the io_context: its coroutines hold timers
  asio::io_context io;
  int ticks = 0;
  asio::co_spawn(io, [&]() -> Task<void> {
    for (int i = 0; i < 100; ++i) {
      co_await time.sleep_for(1s);
      ++ticks;
    }
  }, asio::detached);
  const SteadyTime t0 = time.steady_now();
  EXPECT_TRUE(time.run_until(io, [&] { return ticks == 7; }, 1min));
  EXPECT_EQ(time.steady_now() - t0, Duration(7s));
  EXPECT_FALSE(time.run_until(io, [&] { return ticks == 1000; }, 10s));
  EXPECT_EQ(ticks, 17);
}

TEST(SimulatedTimeSystem, WallClockMovesWithTheSteadyClock) {
  SimulatedTimeSystem time;
  const SystemTime w0 = time.system_now();
  time.advance(90s);
  EXPECT_EQ(time.system_now() - w0, std::chrono::duration_cast<SystemTime::duration>(90s));
}

TEST(RealTimeSystem, CancelAndExpiry) {
  RealTimeSystem time;
  asio::io_context io;
  auto timer = time.make_timer(io.get_executor());
  std::vector<bool> results;
  timer->expires_after(1ms);
  asio::co_spawn(io, [&]() -> Task<void> { results.push_back(co_await timer->wait()); }, asio::detached);
  io.run();
  io.restart();
  timer->disarm();
  asio::co_spawn(io, [&]() -> Task<void> { results.push_back(co_await timer->wait()); }, asio::detached);
  asio::co_spawn(io, [&]() -> Task<void> {
    // Re-arming does not end the wait; cancel() does.
    timer->expires_at(SteadyTime::max() - std::chrono::hours(1));
    co_await time.sleep_for(1ms);
    timer->cancel();
  }, asio::detached);
  io.run();
  EXPECT_EQ(results, (std::vector<bool>{true, false}));
}

}  // namespace
}  // namespace ecssd::common
