#pragma once
// The HttpClient every AWS client (and anything else speaking HTTP to a remote
// service) sends through: Boost.Beast over TCP, OpenSSL TLS through
// boost::asio::ssl with certificate and host-name verification and SNI, a
// keep-alive pool per scheme+host+port, a per-request deadline and a bound on
// response size.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "common/environment.h"
#include "aws/http.h"
#include "common/clock.h"
#include "common/result.h"

namespace ecssd::aws {

struct HttpClientOptions {
  // Idle keep-alive connections kept per scheme+host+port; more are closed.
  std::size_t max_idle_per_origin = 4;
  // A pooled connection idle longer than this is closed instead of reused
  // (servers drop idle connections; AWS after about a minute).
  std::chrono::seconds max_idle_time{50};
  // Responses with a larger body (or headers over 64 KiB) fail with kTooLarge.
  std::size_t max_response_bytes = 16 * 1024 * 1024;
  // PEM file of trusted CAs (AWS_CA_BUNDLE); empty: the system store.
  std::string ca_bundle;
  std::string user_agent = "ecssd/" ECSSD_VERSION;

  // Defaults, with ca_bundle from AWS_CA_BUNDLE.
  static HttpClientOptions from_env(const common::Environment& env);
};

struct HttpClientStats {
  uint64_t requests = 0;
  uint64_t connections_opened = 0;
  uint64_t connections_reused = 0;  // requests sent on a pooled connection
  uint64_t stale_retries = 0;       // requests re-sent after a pooled connection turned out closed
};

class BeastHttpClient final : public HttpClient {
 public:
  // Errors: kInvalidArgument when the CA bundle (or the system store) cannot
  // be loaded. `time` (for idle ages) must outlive the client.
  static common::Result<std::unique_ptr<BeastHttpClient>> create(boost::asio::any_io_executor executor,
                                                                 HttpClientOptions options, common::TimeSource& time);
  ~BeastHttpClient() override;

  // See HttpClient::send. In addition:
  // - The deadline req.timeout covers connecting, TLS, writing and reading
  //   (name resolution is bounded by the system resolver, not the deadline).
  // - A request sent on a pooled connection that the peer had closed (no
  //   byte of answer, connection reset or end of stream) is sent once more on
  //   a new connection, whatever its method, as the AWS SDKs do.
  // - TLS certificate verification failures are kUnavailable but not
  //   transient: they do not heal by retrying.
  // - Header names or values holding CR or LF are kInvalidArgument.
  // The client must outlive every send() in flight; all sends must run on
  // the executor given to create().
  common::Task<common::Result<HttpResponse>> send(HttpRequest req) override;

  HttpClientStats stats() const;
  std::size_t idle_connections() const;
  // Closes every pooled connection (e.g. before shutdown).
  void close_idle();

 private:
  struct Impl;
  explicit BeastHttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ecssd::aws
