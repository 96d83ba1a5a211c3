#include "source/docker/engine_client.h"

#include <optional>

#include <fmt/format.h>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>

#include "common/duration.h"
#include "source/docker/event_decoder.h"

namespace ecssd::source {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using common::ErrorCode;
using common::Task;
using local = asio::local::stream_protocol;

struct EngineConnection {
  explicit EngineConnection(asio::any_io_executor ex) : stream(std::move(ex)) {}
  void close() {
    cancelled = true;
    beast::error_code ec;
    stream.socket().shutdown(local::socket::shutdown_both, ec);
    stream.close();
  }
  beast::basic_stream<local> stream;
  beast::flat_buffer buffer;
  bool cancelled = false;
};

struct EngineStream::State {
  State(std::shared_ptr<EngineConnection> c, std::string t) : conn(std::move(c)), target(std::move(t)) {
    parser.body_limit(boost::none);  // a stream has no end; each event is bounded by the decoder
  }
  std::shared_ptr<EngineConnection> conn;
  std::string target;
  std::string content_type;
  http::response_parser<http::buffer_body> parser;
  std::optional<common::Error> pending_error;  // reported after the bytes read with it
};

namespace {

constexpr size_t kPieceBytes = 16 * 1024;

std::string describe_target(std::string_view target) {
  // The query of an events request is long and says nothing useful in a log line.
  return std::string(target.substr(0, target.find('?')));
}

common::Error io_error(const beast::error_code& ec, const EngineConnection& conn, std::string_view target,
                       std::chrono::milliseconds timeout, size_t max_bytes) {
  std::string what = "GET " + describe_target(target);
  if (ec == beast::error::timeout) {
    return common::transient_error(ErrorCode::kTimeout, fmt::format("{}: the Docker engine did not answer within {}",
                                                                    what, common::format_duration(timeout)));
  }
  if (ec == asio::error::operation_aborted || conn.cancelled) {
    return common::make_error(ErrorCode::kCancelled, what + ": cancelled");
  }
  if (ec == http::error::body_limit) {
    return common::make_error(ErrorCode::kTooLarge,
                              fmt::format("{}: the response exceeds the {}-byte bound", what, max_bytes));
  }
  if (ec == http::error::header_limit) {
    return common::make_error(ErrorCode::kTooLarge, what + ": the response headers exceed their bound");
  }
  if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::broken_pipe || ec == http::error::partial_message) {
    return common::transient_error(ErrorCode::kUnavailable, what + ": the Docker engine closed the connection");
  }
  if (ec.category() == http::make_error_code(http::error::bad_version).category()) {
    return common::make_error(ErrorCode::kProtocol, fmt::format("{}: malformed HTTP response: {}", what, ec.message()));
  }
  return common::transient_error(ErrorCode::kUnavailable, fmt::format("{}: {}", what, ec.message()));
}

common::Error connect_error(const beast::error_code& ec, const EngineConnection& conn, std::string_view path,
                            std::chrono::milliseconds timeout) {
  if (ec == beast::error::timeout) {
    return common::transient_error(
        ErrorCode::kTimeout, fmt::format("cannot connect to the Docker engine at unix://{}: no answer within {}", path,
                                         common::format_duration(timeout)));
  }
  if (ec == asio::error::operation_aborted || conn.cancelled) {
    return common::make_error(ErrorCode::kCancelled, "connect: cancelled");
  }
  if (ec == asio::error::access_denied || ec == asio::error::no_permission) {
    return common::make_error(ErrorCode::kPermissionDenied,
                              fmt::format("cannot connect to the Docker engine at unix://{}: {} (is the agent in the "
                                          "socket's group?)",
                                          path, ec.message()));
  }
  return common::transient_error(
      ErrorCode::kUnavailable, fmt::format("cannot connect to the Docker engine at unix://{}: {}", path, ec.message()));
}

http::request<http::empty_body> make_request(const std::string& target) {
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "docker");
  req.set(http::field::user_agent, "ecssd/" ECSSD_VERSION);
  req.set(http::field::accept, "application/json");
  return req;
}

// Reads the next non-empty piece of a streamed body.
Task<common::Result<std::string>> read_piece(std::shared_ptr<EngineStream::State> s) {
  if (s->pending_error) co_return *s->pending_error;
  std::string out;
  while (true) {
    if (s->parser.is_done()) {
      co_return common::transient_error(ErrorCode::kUnavailable,
                                        "GET " + describe_target(s->target) + ": the Docker engine ended the stream");
    }
    out.resize(kPieceBytes);
    auto& body = s->parser.get().body();
    body.data = out.data();
    body.size = out.size();
    beast::error_code ec;
    co_await http::async_read_some(s->conn->stream, s->conn->buffer, s->parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    out.resize(out.size() - body.size);
    body.data = nullptr;
    body.size = 0;
    if (ec) {
      auto err = io_error(ec, *s->conn, s->target, std::chrono::milliseconds(0), 0);
      if (ec == http::error::end_of_stream || ec == asio::error::eof) {
        err = common::transient_error(ErrorCode::kUnavailable,
                                      "GET " + describe_target(s->target) + ": the Docker engine ended the stream");
      }
      if (out.empty()) co_return err;
      s->pending_error = err;
      co_return out;
    }
    if (!out.empty()) co_return out;
  }
}

}  // namespace

std::string EngineResponse::error_message() const {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (!ec && v.is_object()) {
    if (const auto* m = v.get_object().if_contains("message"); m && m->is_string()) return std::string(m->get_string());
  }
  std::string text = body.substr(0, 200);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

EngineStream::EngineStream(std::shared_ptr<State> state) : state_(std::move(state)) {}
EngineStream::~EngineStream() { close(); }

const std::string& EngineStream::content_type() const { return state_->content_type; }

Task<common::Result<std::string>> EngineStream::read_some() { return read_piece(state_); }

void EngineStream::close() {
  if (!state_->conn->cancelled) state_->conn->close();
}

EngineClient::EngineClient(asio::any_io_executor executor, std::string socket_path, EngineLimits limits)
    : executor_(std::move(executor)), socket_path_(std::move(socket_path)), limits_(limits) {}

EngineClient::~EngineClient() { cancel_all(); }

std::shared_ptr<EngineConnection> EngineClient::open_connection() {
  live_.remove_if([](const auto& w) { return w.expired(); });
  auto conn = std::make_shared<EngineConnection>(executor_);
  live_.push_back(conn);
  return conn;
}

void EngineClient::cancel_all() {
  for (auto& w : live_) {
    if (auto c = w.lock(); c && !c->cancelled) c->close();
  }
  live_.clear();
}

Task<common::Result<EngineResponse>> EngineClient::get(std::string target) {
  auto conn = open_connection();
  beast::error_code ec;
  conn->stream.expires_after(limits_.timeout);
  co_await conn->stream.async_connect(local::endpoint(socket_path_), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return connect_error(ec, *conn, socket_path_, limits_.timeout);
  auto req = make_request(target);
  co_await http::async_write(conn->stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return io_error(ec, *conn, target, limits_.timeout, limits_.max_response_bytes);
  http::response_parser<http::string_body> parser;
  parser.body_limit(limits_.max_response_bytes);
  co_await http::async_read(conn->stream, conn->buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return io_error(ec, *conn, target, limits_.timeout, limits_.max_response_bytes);
  conn->close();
  auto& res = parser.get();
  EngineResponse out;
  out.status = res.result_int();
  out.content_type = std::string(res[http::field::content_type]);
  out.api_version = std::string(res["Api-Version"]);
  out.server = std::string(res[http::field::server]);
  out.body = std::move(res.body());
  co_return out;
}

Task<common::Result<std::shared_ptr<EngineStream>>> EngineClient::stream(std::string target) {
  auto state = std::make_shared<EngineStream::State>(open_connection(), target);
  auto& conn = *state->conn;
  beast::error_code ec;
  conn.stream.expires_after(limits_.timeout);
  co_await conn.stream.async_connect(local::endpoint(socket_path_), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return connect_error(ec, conn, socket_path_, limits_.timeout);
  auto req = make_request(target);
  co_await http::async_write(conn.stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return io_error(ec, conn, target, limits_.timeout, limits_.max_response_bytes);
  co_await http::async_read_header(conn.stream, conn.buffer, state->parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return io_error(ec, conn, target, limits_.timeout, limits_.max_response_bytes);
  auto& res = state->parser.get();
  state->content_type = std::string(res[http::field::content_type]);
  unsigned status = res.result_int();
  if (status != 200) {
    EngineResponse r;
    r.status = status;
    if (auto piece = co_await read_piece(state); piece.ok()) r.body = std::move(*piece);
    conn.close();
    std::string message =
        fmt::format("GET {}: the Docker engine answered {}: {}", describe_target(target), status, r.error_message());
    if (status >= 500) co_return common::transient_error(ErrorCode::kUnavailable, message);
    co_return common::make_error(ErrorCode::kProtocol, message);
  }
  if (!state->content_type.empty() && !is_event_stream_content_type(state->content_type)) {
    conn.close();
    co_return common::make_error(ErrorCode::kProtocol,
                                 fmt::format("GET {}: unexpected content type \"{}\" for an event stream",
                                             describe_target(target), state->content_type));
  }
  conn.stream.expires_never();
  co_return std::make_shared<EngineStream>(std::move(state));
}

}  // namespace ecssd::source
