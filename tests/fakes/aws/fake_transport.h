#pragma once
// A Transport for unit tests of API clients: records each call (endpoint and
// unsigned request) and answers from a handler, typically with recorded AWS
// responses.
#include <functional>
#include <vector>

#include "aws/transport.h"

namespace ecssd::aws::testing {

class FakeTransport final : public Transport {
 public:
  struct Call {
    ServiceEndpoint endpoint;
    HttpRequest request;
  };
  using Handler = std::function<common::Result<HttpResponse>(const Call&)>;

  explicit FakeTransport(Handler handler = {}) : handler_(std::move(handler)) {}
  void set_handler(Handler handler) { handler_ = std::move(handler); }

  common::Task<common::Result<HttpResponse>> call(const ServiceEndpoint& endpoint, HttpRequest req) override {
    calls_.push_back({endpoint, std::move(req)});
    if (!handler_) co_return common::make_error(common::ErrorCode::kUnavailable, "no handler", true);
    co_return handler_(calls_.back());
  }

  const std::vector<Call>& calls() const { return calls_; }

  static HttpResponse response(unsigned status, std::string body, Headers headers = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
  }

 private:
  Handler handler_;
  std::vector<Call> calls_;
};

}  // namespace ecssd::aws::testing
