#pragma once
// Runs one Asio coroutine of a fuzz target to its end on a reused
// io_context: an exception escaping it, or a coroutine left unfinished
// (something waiting that nothing will wake), breaks the run.
#include <exception>
#include <optional>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "fuzz_util.h"

namespace ecssd::fuzz {

template <typename T>
T run(boost::asio::awaitable<T> task) {
  static boost::asio::io_context io;
  std::optional<T> out;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T v) {
    FUZZ_CHECK(!e, "an exception escaped");
    out.emplace(std::move(v));
  });
  io.restart();
  io.run();
  FUZZ_CHECK(out.has_value(), "the coroutine did not finish");
  return std::move(*out);
}

}  // namespace ecssd::fuzz
