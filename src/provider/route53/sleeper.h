#pragma once
// Waiting between retries behind an interface, so unit tests of retrying code
// record the delays instead of sleeping.
#include <chrono>

#include <boost/asio/awaitable.hpp>

namespace ecssd::provider::route53 {

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  // Resumes after `delay` (or at once for a fake). Never fails; a cancelled
  // wait resumes early.
  virtual boost::asio::awaitable<void> sleep(std::chrono::milliseconds delay) = 0;
};

// Waits on a steady_timer of the calling coroutine's executor.
class AsioSleeper final : public Sleeper {
 public:
  boost::asio::awaitable<void> sleep(std::chrono::milliseconds delay) override;
};

}  // namespace ecssd::provider::route53
