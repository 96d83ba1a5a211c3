#include "agent/status_server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

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

common::Result<tcp::endpoint> parse_tcp_endpoint(const std::string& text) {
  // ":9253" listens on every IPv4 address.
  auto listen = common::parse_listen(text.starts_with(':') ? "0.0.0.0" + text : text);
  if (!listen.ok()) return listen.error();
  return tcp::endpoint(asio::ip::make_address(listen->address), listen->port);
}

StatusServer::StatusServer(asio::io_context& io, std::function<Readiness()> readiness)
    : io_(io), readiness_(std::move(readiness)), acceptor_(io) {}

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

asio::awaitable<void> StatusServer::accept_loop() {
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

asio::awaitable<void> StatusServer::serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer(8192);
  for (;;) {
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
    if (auto q = target.find('?'); q != std::string::npos) target.resize(q);
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      res.result(http::status::method_not_allowed);
      res.set(http::field::allow, "GET, HEAD");
      res.body() = "only GET\n";
    } else if (target == "/metrics") {
      res.result(http::status::ok);
      res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      res.body() = common::Metrics::global().render();
    } else if (target == "/healthz") {
      res.result(http::status::ok);
      res.body() = "ok\n";
    } else if (target == "/readyz") {
      Readiness r = readiness_();
      res.result(r.ready ? http::status::ok : http::status::service_unavailable);
      res.body() = r.ready ? "ready\n" : "not ready: " + r.reason + "\n";
    } else {
      res.result(http::status::not_found);
      res.body() = "try /metrics, /healthz or /readyz\n";
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
