#pragma once
// Helpers shared by the source tests: fixtures and running coroutines to completion.
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "fakes/fake_docker_engine.h"

namespace ecssd::source::testutil {

inline std::string fixture(const std::string& relative) {
  std::string path = ECSSD_FIXTURES;
  path += '/';
  path += relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + relative);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <typename T>
boost::asio::awaitable<void> store(boost::asio::awaitable<T> task, std::shared_ptr<std::optional<T>> out) {
  out->emplace(co_await std::move(task));
}

// Runs one coroutine on `io` until it finishes (or the limit passes: then nullopt).
template <typename T>
std::optional<T> complete(boost::asio::io_context& io, boost::asio::awaitable<T> task,
                          std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  auto out = std::make_shared<std::optional<T>>();
  boost::asio::co_spawn(io, store(std::move(task), out), boost::asio::detached);
  fakes::run_until(
      io, [&] { return out->has_value(); }, limit);
  return std::move(*out);
}

}  // namespace ecssd::source::testutil
