#include "health/probe.h"

#include <tuple>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "common/duration.h"

// g++ 12 pairs Asio's coroutine-frame operator new with the wrong delete
// (a false positive, GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace ecssd::health {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

ProbeResult failure(const boost::system::error_code& ec, const CheckSpec& spec) {
  if (ec == beast::error::timeout) {
    return {false, Outcome::kTimeout, "timed out after " + common::format_duration(spec.timeout)};
  }
  if (ec == net::error::connection_refused) return {false, Outcome::kRefused, "connection refused"};
  if (ec == net::error::connection_reset) return {false, Outcome::kRefused, "connection reset"};
  if (ec == http::error::end_of_stream || ec == net::error::eof) {
    return {false, Outcome::kError, "closed without an HTTP answer"};
  }
  return {false, Outcome::kError, ec.message()};
}

}  // namespace

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPass: return "pass";
    case Outcome::kStatus: return "status";
    case Outcome::kTimeout: return "timeout";
    case Outcome::kRefused: return "refused";
    case Outcome::kError: return "error";
  }
  return "error";
}

common::Task<ProbeResult> NetworkProbe::check(CheckSpec spec) {
  ProbeResult out;
  boost::system::error_code ec;
  auto address = net::ip::make_address(spec.address, ec);
  if (ec) {
    out.detail = fmt::format("\"{}\" is not an IP address", spec.address);
    co_return out;
  }
  // One deadline covers connect, request and answer (Beast's stream timeout).
  beast::tcp_stream stream(co_await net::this_coro::executor);
  stream.expires_after(spec.timeout);
  // No structured bindings or temporaries around co_await: g++ 12 miscompiles
  // some of them in coroutines.
  std::tuple<boost::system::error_code> connected =
      co_await stream.async_connect(tcp::endpoint(address, spec.port), kTuple);
  if (std::get<0>(connected)) {
    co_return failure(std::get<0>(connected), spec);
  }
  if (spec.kind != CheckKind::kHttp) {
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream.socket().close(ec);
    out.healthy = true;
    out.outcome = Outcome::kPass;
    out.detail = "connected";
    co_return out;
  }

  http::request<http::empty_body> req{http::verb::get, spec.http_path, 11};
  req.set(http::field::host, spec.target());
  req.set(http::field::user_agent, "ecssd/" ECSSD_VERSION);
  req.set(http::field::connection, "close");
  std::tuple<boost::system::error_code, std::size_t> written = co_await http::async_write(stream, req, kTuple);
  if (std::get<0>(written)) {
    co_return failure(std::get<0>(written), spec);
  }
  beast::flat_buffer buffer;
  http::response_parser<http::empty_body> parser;
  parser.header_limit(16 * 1024);
  std::tuple<boost::system::error_code, std::size_t> read =
      co_await http::async_read_header(stream, buffer, parser, kTuple);
  stream.socket().close(ec);
  if (std::get<0>(read)) {
    co_return failure(std::get<0>(read), spec);
  }
  unsigned status = parser.get().result_int();
  out.healthy = spec.status.matches(status);
  out.outcome = out.healthy ? Outcome::kPass : Outcome::kStatus;
  out.detail = out.healthy ? fmt::format("HTTP {}", status)
                           : fmt::format("HTTP {} (expected {})", status, spec.status.describe());
  co_return out;
}

}  // namespace ecssd::health
