#pragma once
// A small HTTP server for operators: GET /metrics (Prometheus text format),
// GET /healthz (the process is alive), GET /readyz (200 when the agent has
// listed the engine and the provider answers; 503 with the reason otherwise),
// and the routes its owner adds: the status page at "/" and its JSON
// documents /v1/services and /v1/events (agent and `ecssd reap --every`).
// Beast on the agent's io_context; one coroutine per connection; bounded
// request size and an idle timeout.
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/value.hpp>

#include "common/metrics.h"
#include "common/result.h"
#include "common/task.h"

namespace ecssd::agent {

struct Readiness {
  bool ready = false;
  std::string reason;  // why not ready
};

// What a route answers.
struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
};
// Called on the server's io_context with the request's query string
// ("limit=60", or empty); must not block.
using Route = std::function<Response(std::string_view query)>;

// The value of `key` in a query string ("a=1&limit=60"), or empty.
std::string query_value(std::string_view query, std::string_view key);

class StatusServer {
 public:
  // /metrics renders `metrics`, which must outlive the server.
  StatusServer(boost::asio::io_context& io, const common::Metrics& metrics, std::function<Readiness()> readiness);
  // Binds "address:port". Errors: kInvalidArgument (bad address),
  // kUnavailable (cannot bind).
  common::Status start(const std::string& listen);
  // Serves GET `path` (exactly, without its query) with `route`. Before start().
  void add_route(std::string path, Route route) { routes_[std::move(path)] = std::move(route); }
  void stop();
  uint16_t port() const;

 private:
  common::Task<void> accept_loop();
  common::Task<void> serve(boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& io_;
  const common::Metrics& metrics_;
  std::function<Readiness()> readiness_;
  std::map<std::string, Route, std::less<>> routes_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

// Adds the status page ("/") and its documents: /v1/services from
// `services`, /v1/events?limit=N (default 200) from `events`.
void add_page_routes(StatusServer& server, std::function<boost::json::value()> services,
                     std::function<boost::json::value(size_t limit)> events);

// Parses "127.0.0.1:9253", "[::1]:9253" or ":9253" (all interfaces).
common::Result<boost::asio::ip::tcp::endpoint> parse_tcp_endpoint(const std::string& text);

}  // namespace ecssd::agent
