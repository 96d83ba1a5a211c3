#pragma once
// The HTTP seam for every AWS API client (and anything else speaking HTTP to a
// remote service): one request in, one response out. The real implementation
// (Beast + OpenSSL, connection reuse, certificate verification) sits behind this
// interface; unit tests use a fake.
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/task.h"

namespace ecssd::aws {

template <typename T>
using Task = boost::asio::awaitable<T>;

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";  // "GET", "POST", "PUT", "DELETE"
  // Absolute URL: scheme, host, optional port, path and query, e.g.
  // "https://route53.amazonaws.com/2013-04-01/hostedzonesbyname?dnsname=x".
  std::string url;
  Headers headers;
  std::string body;
  std::chrono::milliseconds timeout{10'000};
};

struct HttpResponse {
  unsigned status = 0;
  Headers headers;
  std::string body;
  // Case-insensitive header lookup; empty when absent.
  std::string header(std::string_view name) const;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends one request and reads the whole response. Reuses connections per
  // (scheme, host, port). HTTP error statuses are responses, not errors.
  // Errors: kTimeout (transient) when req.timeout passes; kUnavailable
  // (transient) for connection or TLS failures; kTooLarge when the response
  // exceeds the client's size bound; kInvalidArgument for a malformed URL.
  virtual common::Task<common::Result<HttpResponse>> send(HttpRequest req) = 0;
};

}  // namespace ecssd::aws
