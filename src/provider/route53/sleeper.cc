#include "provider/route53/sleeper.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ecssd::provider::route53 {

boost::asio::awaitable<void> AsioSleeper::sleep(std::chrono::milliseconds delay) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, delay);
  boost::system::error_code ec;  // cancellation just ends the wait
  co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
}

}  // namespace ecssd::provider::route53
