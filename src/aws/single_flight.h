#pragma once
// Shares one in-flight asynchronous operation among concurrent callers on the
// event loop: the first caller runs it, later callers wait for its result. Used
// so that concurrent requests trigger one credential refresh and one IMDS token
// fetch, not one each.
#include <memory>
#include <optional>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "aws/http.h"

namespace ecssd::aws {

template <typename T>
class SingleFlight {
 public:
  bool in_flight() const { return flight_ != nullptr; }

  // Runs `start()` (a callable returning common::Task<T>) unless a run is already in
  // flight, in which case it waits for that run. Every caller gets the same
  // result. Single-threaded: all callers must be on the same event loop.
  template <typename Start>
  common::Task<T> run(Start start) {
    if (flight_) {
      std::shared_ptr<Flight> f = flight_;
      while (!f->result) {
        boost::system::error_code ec;
        co_await f->timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      }
      co_return *f->result;
    }
    auto f = std::make_shared<Flight>(co_await boost::asio::this_coro::executor);
    flight_ = f;
    T value = co_await start();
    f->result = value;
    flight_.reset();
    f->timer.cancel();  // wakes the waiters
    co_return value;
  }

 private:
  struct Flight {
    explicit Flight(const boost::asio::any_io_executor& ex)
        : timer(ex, boost::asio::steady_timer::time_point::max()) {}
    boost::asio::steady_timer timer;
    std::optional<T> result;
  };
  std::shared_ptr<Flight> flight_;
};

}  // namespace ecssd::aws
