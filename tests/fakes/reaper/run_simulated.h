#pragma once
// Runs a coroutine to completion on simulated time: the io_context runs until
// nothing is ready, then time jumps to the next timer expiry, and so on
// (SimulatedTimeSystem::run_until). A coroutine still waiting after `limit`
// of simulated time is an error (std::runtime_error), never a hang.
#include <exception>
#include <optional>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "common/task.h"
#include "common/time_system.h"

namespace ecssd::reaper::testing {

inline constexpr common::Duration kSimulatedLimit = std::chrono::hours(24);

template <typename T>
T run_simulated(boost::asio::io_context& io, common::SimulatedTimeSystem& time, common::Task<T> task,
                common::Duration limit = kSimulatedLimit) {
  std::optional<T> out;
  std::exception_ptr error;
  bool done = false;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) out.emplace(std::move(value));
    done = true;
  });
  if (!time.run_until(io, [&] { return done; }, limit)) {
    throw std::runtime_error("the coroutine did not finish within the simulated time limit");
  }
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

inline void run_simulated(boost::asio::io_context& io, common::SimulatedTimeSystem& time, common::Task<void> task,
                          common::Duration limit = kSimulatedLimit) {
  std::exception_ptr error;
  bool done = false;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e) {
    error = e;
    done = true;
  });
  if (!time.run_until(io, [&] { return done; }, limit)) {
    throw std::runtime_error("the coroutine did not finish within the simulated time limit");
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace ecssd::reaper::testing
