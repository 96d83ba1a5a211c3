#pragma once
// Helpers shared by the Route 53 provider tests: simulated time and a private
// metrics registry for the code under test, a runner that moves that time as
// the code's timers need, a transport that notes when each request was sent,
// and fixtures.
#include <chrono>
#include <exception>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "aws/transport.h"
#include "common/metrics.h"
#include "fakes/fake_transport.h"
#include "common/time_system.h"

namespace ecssd::testing {

inline std::string fixture(const std::string& relative) {
  std::ifstream in(std::string(ECSSD_FIXTURES) + "/" + relative, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << relative;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Queues a transport error as `t`'s next answer. Out of line: inlined into a
// long test body, GCC 12 at -O2 reports the moved Result<HttpResponse> as
// maybe uninitialized (a false positive).
[[gnu::noinline]] inline void push_error(fakes::FakeTransport& t, common::Error e) { t.push(std::move(e)); }

// What a Route 53 component under test waits and counts with.
struct Route53TestEnv {
  common::SimulatedTimeSystem time;
  common::Metrics metrics;

  common::Scope scope() { return common::Scope(metrics); }
  uint64_t retries(const std::string& reason) {
    return metrics
        .counter("ecssd_route53_retries_total", "Route 53 requests retried (throttling, 5xx, timeouts)",
                 {{"reason", reason}})
        .value();
  }

  // Runs `task` to the end on a private io_context, moving simulated time to
  // each timer it waits on (a day at most; a task still waiting then fails the
  // test). Exceptions are rethrown.
  template <typename T>
  T run(boost::asio::awaitable<T> task) {
    boost::asio::io_context io;
    std::optional<T> out;
    std::exception_ptr error;
    boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
      error = e;
      if (!e) out.emplace(std::move(value));
    });
    bool done = time.run_until(io, [&] { return out.has_value() || error != nullptr; }, std::chrono::hours(24));
    if (error) std::rethrow_exception(error);
    if (!done) throw std::runtime_error("the task was still waiting after a day of simulated time");
    return std::move(*out);
  }
};

// Passes calls to `inner`, noting the simulated time each request was sent:
// the gaps between retries are the delays the code waited.
class ClockedTransport final : public aws::Transport {
 public:
  ClockedTransport(aws::Transport& inner, const common::TimeSource& time) : inner_(inner), time_(time) {}
  aws::Task<common::Result<aws::HttpResponse>> call(const aws::ServiceEndpoint& endpoint,
                                                    aws::HttpRequest req) override {
    sent_.push_back(time_.steady_now());
    co_return co_await inner_.call(endpoint, std::move(req));
  }
  // The waits between request `first` and each later one up to `last`
  // (indices into the requests sent), in milliseconds.
  std::vector<std::chrono::milliseconds> waits(size_t first, size_t last) const {
    std::vector<std::chrono::milliseconds> out;
    for (size_t i = first + 1; i <= last && i < sent_.size(); ++i) {
      out.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(sent_[i] - sent_[i - 1]));
    }
    return out;
  }
  size_t sent() const { return sent_.size(); }

 private:
  aws::Transport& inner_;
  const common::TimeSource& time_;
  std::vector<common::SteadyTime> sent_;
};

}  // namespace ecssd::testing
