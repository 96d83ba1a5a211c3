#include "reaper/sleeper.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // g++ 12 false positive (GCC bug 109224)

namespace ecssd::reaper {

boost::asio::awaitable<void> TimerSleeper::sleep_until(common::SteadyTime when) {
  if (when <= std::chrono::steady_clock::now()) co_return;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, when);
  boost::system::error_code ec;  // a cancelled wait just ends early
  co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
}

}  // namespace ecssd::reaper
