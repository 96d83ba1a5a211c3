#pragma once
// An HttpClient for unit tests: records every request and answers from a
// handler. Each send() yields to the event loop once before answering, so
// concurrent callers really overlap.
#include <functional>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "aws/http.h"

namespace ecssd::aws::testing {

class FakeHttpClient final : public HttpClient {
 public:
  using Handler = std::function<common::Result<HttpResponse>(const HttpRequest&)>;

  explicit FakeHttpClient(Handler handler = {}) : handler_(std::move(handler)) {}
  void set_handler(Handler handler) { handler_ = std::move(handler); }

  common::Task<common::Result<HttpResponse>> send(HttpRequest req) override {
    requests_.push_back(req);
    co_await boost::asio::post(co_await boost::asio::this_coro::executor, boost::asio::use_awaitable);
    if (!handler_) co_return common::make_error(common::ErrorCode::kUnavailable, "no handler", true);
    co_return handler_(req);
  }

  const std::vector<HttpRequest>& requests() const { return requests_; }
  void clear() { requests_.clear(); }

  static HttpResponse response(unsigned status, std::string body, Headers headers = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
  }

 private:
  Handler handler_;
  std::vector<HttpRequest> requests_;
};

// Case-insensitive header lookup in a request.
inline std::string request_header(const HttpRequest& req, std::string_view name) {
  HttpResponse tmp;
  tmp.headers = req.headers;
  return tmp.header(name);
}

}  // namespace ecssd::aws::testing
