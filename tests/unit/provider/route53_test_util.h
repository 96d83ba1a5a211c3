#pragma once
// Helpers shared by the Route 53 provider tests: run a coroutine to the end,
// read a fixture, record retry delays instead of sleeping.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fakes/run_sync.h"
#include "provider/route53/sleeper.h"

namespace ecssd::testing {

// Runs `task` to the end on a private io_context (fakes/run_sync.h).
template <typename T>
T run(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  return run_sync(io, std::move(task));
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
