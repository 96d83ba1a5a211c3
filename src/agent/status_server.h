#pragma once
// A small HTTP server for operators: GET /metrics (Prometheus text format),
// GET /healthz (the process is alive), GET /readyz (200 when the agent has
// listed the engine and the provider answers; 503 with the reason otherwise).
// Beast on the agent's io_context; one coroutine per connection; bounded
// request size and an idle timeout.
#include <functional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "common/result.h"

namespace ecssd::agent {

struct Readiness {
  bool ready = false;
  std::string reason;  // why not ready
};

class StatusServer {
 public:
  StatusServer(boost::asio::io_context& io, std::function<Readiness()> readiness);
  // Binds "address:port". Errors: kInvalidArgument (bad address),
  // kUnavailable (cannot bind).
  common::Status start(const std::string& listen);
  void stop();
  uint16_t port() const;

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& io_;
  std::function<Readiness()> readiness_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

// Parses "127.0.0.1:9253", "[::1]:9253" or ":9253" (all interfaces).
common::Result<boost::asio::ip::tcp::endpoint> parse_tcp_endpoint(const std::string& text);

}  // namespace ecssd::agent
