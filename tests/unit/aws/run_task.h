#pragma once
// Runs coroutines to completion on a private io_context in unit tests.
#include <exception>
#include <optional>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "aws/http.h"

namespace ecssd::aws::testing {

// The value is stored from inside a void coroutine, so T needs no default
// constructor (co_spawn with a value completion would need one).
template <typename T>
common::Task<void> store_result(common::Task<T> task, std::optional<T>* out) {
  out->emplace(co_await std::move(task));
}

template <typename T>
T run_task(common::Task<T> task) {
  boost::asio::io_context io;
  std::optional<T> out;
  std::exception_ptr error;
  boost::asio::co_spawn(io, store_result(std::move(task), &out), [&](std::exception_ptr e) { error = e; });
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

// Runs several coroutines concurrently on one io_context; results in order.
template <typename T>
std::vector<T> run_concurrently(std::vector<common::Task<T>> tasks) {
  boost::asio::io_context io;
  std::vector<std::optional<T>> out(tasks.size());
  std::exception_ptr error;
  for (size_t i = 0; i < tasks.size(); ++i) {
    boost::asio::co_spawn(io, store_result(std::move(tasks[i]), &out[i]), [&](std::exception_ptr e) {
      if (e) error = e;
    });
  }
  io.run();
  if (error) std::rethrow_exception(error);
  std::vector<T> result;
  for (auto& o : out) result.push_back(std::move(*o));
  return result;
}

}  // namespace ecssd::aws::testing
