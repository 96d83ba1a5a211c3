#pragma once
// A CredentialsProvider for unit tests: answers the next scripted result (the
// last one repeats once the script runs out), counts calls and invalidations, and yields to the event
// loop once per call so concurrent callers overlap.
#include <deque>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "aws/credentials.h"

namespace ecssd::aws::testing {

class FakeCredentialsProvider final : public CredentialsProvider {
 public:
  explicit FakeCredentialsProvider(std::string name = "fake") : name_(std::move(name)) {}

  void push(common::Result<Credentials> r) { script_.push_back(std::move(r)); }

  common::Task<common::Result<Credentials>> credentials() override {
    ++calls_;
    co_await boost::asio::post(co_await boost::asio::this_coro::executor, boost::asio::use_awaitable);
    if (!script_.empty()) {
      last_.emplace(std::move(script_.front()));
      script_.pop_front();
    }
    if (!last_) co_return common::make_error(common::ErrorCode::kNotFound, name_ + " has nothing");
    co_return *last_;
  }
  void invalidate() override { ++invalidations_; }
  std::string name() const override { return name_; }

  int calls() const { return calls_; }
  int invalidations() const { return invalidations_; }

  static Credentials make(std::string id, std::string secret, std::string token = {},
                          std::optional<common::SystemTime> expiration = {}) {
    Credentials c;
    c.access_key_id = std::move(id);
    c.secret_access_key = std::move(secret);
    c.session_token = std::move(token);
    c.expiration = expiration;
    c.source = "fake";
    return c;
  }

 private:
  std::string name_;
  std::deque<common::Result<Credentials>> script_;
  std::optional<common::Result<Credentials>> last_;
  int calls_ = 0;
  int invalidations_ = 0;
};

}  // namespace ecssd::aws::testing
