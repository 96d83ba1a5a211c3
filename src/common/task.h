#pragma once
// The one coroutine type of the project: every asynchronous operation is a
// C++20 coroutine on the one Asio event loop.
#include <boost/asio/awaitable.hpp>

namespace ecssd::common {

template <typename T>
using Task = boost::asio::awaitable<T>;

}  // namespace ecssd::common
