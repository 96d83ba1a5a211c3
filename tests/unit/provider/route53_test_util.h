#pragma once
// Helpers shared by the Route 53 provider tests: run a coroutine to the end on
// a private io_context, read a fixture, record retry delays instead of sleeping.
#include <exception>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "provider/route53/sleeper.h"

namespace ecssd::testing {

template <typename T>
boost::asio::awaitable<void> store_result(boost::asio::awaitable<T> task, std::optional<T>* out) {
  out->emplace(co_await std::move(task));
}

// Runs `task` until it completes; rethrows what it throws.
template <typename T>
T run(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  std::optional<T> out;
  std::exception_ptr failure;
  boost::asio::co_spawn(io, store_result(std::move(task), &out), [&](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*out);
}

inline std::string fixture(const std::string& relative) {
  std::ifstream in(std::string(ECSSD_FIXTURES) + "/" + relative, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << relative;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class RecordingSleeper final : public provider::route53::Sleeper {
 public:
  boost::asio::awaitable<void> sleep(std::chrono::milliseconds delay) override {
    delays.push_back(delay);
    co_return;
  }
  std::vector<std::chrono::milliseconds> delays;
};

}  // namespace ecssd::testing
