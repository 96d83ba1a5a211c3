#include "agent/status_server.h"

#include <algorithm>
#include <charconv>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "agent/status_page.h"
#include "common/listen_address.h"
#include "common/log.h"
#include "common/metrics.h"

namespace ecssd::agent {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

}  // namespace

std::string query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) return eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

void add_page_routes(StatusServer& server, std::function<boost::json::value()> services,
                     std::function<boost::json::value(size_t limit)> events) {
  server.add_route("/", [](std::string_view) {
    return Response{200, "text/html; charset=utf-8", std::string(status_page_html())};
  });
  server.add_route("/v1/services", [services = std::move(services)](std::string_view) {
    return Response{200, "application/json", boost::json::serialize(services()) + "\n"};
  });
  server.add_route("/v1/events", [events = std::move(events)](std::string_view query) {
    size_t limit = 200;
    std::string text = query_value(query, "limit");
    if (!text.empty()) {
      size_t n = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec == std::errc() && end == text.data() + text.size()) limit = std::min<size_t>(n, 200);
    }
    return Response{200, "application/json", boost::json::serialize(events(limit)) + "\n"};
  });
}

common::Result<tcp::endpoint> parse_tcp_endpoint(const std::string& text) {
  // ":9253" listens on every IPv4 address.
  auto listen = common::parse_listen(text.starts_with(':') ? "0.0.0.0" + text : text);
  if (!listen.ok()) return listen.error();
  return tcp::endpoint(asio::ip::make_address(listen->address), listen->port);
}

StatusServer::StatusServer(asio::io_context& io, const common::Metrics& metrics, std::function<Readiness()> readiness)
    : io_(io), metrics_(metrics), readiness_(std::move(readiness)), acceptor_(io) {}

common::Status StatusServer::start(const std::string& listen) {
  auto ep = parse_tcp_endpoint(listen);
  if (!ep.ok()) return ep.error();
  boost::system::error_code ec;
  acceptor_.open(ep->protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(*ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor_.close();
    return common::make_error(common::ErrorCode::kUnavailable,
                              fmt::format("cannot listen on {}: {}", listen, ec.message()));
  }
  asio::co_spawn(io_, accept_loop(), asio::detached);
  return {};
}

void StatusServer::stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

uint16_t StatusServer::port() const {
  boost::system::error_code ec;
  auto ep = acceptor_.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

common::Task<void> StatusServer::accept_loop() {
  while (acceptor_.is_open()) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      continue;
    }
    asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
  }
}

common::Task<void> StatusServer::serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer(8192);
  for (;;) {
    // A socket deadline inside the Beast stream: it stays on Beast's own timer.
    stream.expires_after(std::chrono::seconds(30));
    http::request_parser<http::empty_body> parser;
    parser.header_limit(8192);
    boost::system::error_code ec;
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    const auto& req = parser.get();
    http::response<http::string_body> res;
    res.version(req.version());
    res.keep_alive(req.keep_alive());
    res.set(http::field::server, "ecssd");
    std::string target(req.target());
    std::string query;
    if (auto q = target.find('?'); q != std::string::npos) {
      query = target.substr(q + 1);
      target.resize(q);
    }
    auto route = routes_.find(target);
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      res.result(http::status::method_not_allowed);
      res.set(http::field::allow, "GET, HEAD");
      res.body() = "only GET\n";
    } else if (target == "/metrics") {
      res.result(http::status::ok);
      res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      res.body() = metrics_.render();
    } else if (target == "/healthz") {
      res.result(http::status::ok);
      res.body() = "ok\n";
    } else if (target == "/readyz") {
      Readiness r = readiness_();
      res.result(r.ready ? http::status::ok : http::status::service_unavailable);
      res.body() = r.ready ? "ready\n" : "not ready: " + r.reason + "\n";
    } else if (route != routes_.end()) {
      Response r = route->second(query);
      res.result(static_cast<http::status>(r.status));
      res.set(http::field::content_type, r.content_type);
      res.set(http::field::cache_control, "no-store");
      res.body() = std::move(r.body);
    } else {
      res.result(http::status::not_found);
      res.body() = routes_.empty() ? "try /metrics, /healthz or /readyz\n"
                                   : "try /, /v1/services, /v1/events, /metrics, /healthz or /readyz\n";
    }
    if (res.find(http::field::content_type) == res.end()) res.set(http::field::content_type, "text/plain");
    res.prepare_payload();
    if (req.method() == http::verb::head) res.body().clear();  // keeps Content-Length of the GET
    co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !res.keep_alive()) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace ecssd::agent
