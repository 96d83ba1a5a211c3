#include "aws/beast_http_client.h"

#include <sys/socket.h>

#include <tuple>

#include <unordered_map>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "aws/url.h"
#include "common/log.h"

namespace ecssd::aws {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using common::ErrorCode;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

struct Connection {
  std::string origin;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  common::SteadyTime idle_since{};

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

using BeastRequest = http::request<http::string_body>;

struct Exchange {
  boost::system::error_code ec;
  bool got_response_bytes = false;
  std::optional<HttpResponse> response;
  bool keep_alive = false;
};

bool has_crlf(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

// A pooled connection the peer has closed shows end of stream (or unexpected
// bytes, such as a TLS close_notify) to a non-blocking peek.
bool looks_closed(Connection& c) {
  int fd = c.lowest().socket().native_handle();
  char byte;
  ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return true;
  if (n > 0) return true;
  return !(errno == EAGAIN || errno == EWOULDBLOCK);
}

template <typename Stream>
common::Task<Exchange> exchange_on(Stream* stream, beast::flat_buffer* buffer, const BeastRequest* req,
                                   std::size_t max_body) {
  Exchange out;
  // No structured bindings or temporaries around co_await: g++ 12
  // miscompiles some of them in coroutines.
  std::tuple<boost::system::error_code, std::size_t> written = co_await http::async_write(*stream, *req, kTuple);
  if (std::get<0>(written)) {
    out.ec = std::get<0>(written);
    co_return out;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_body);
  parser.header_limit(64 * 1024);
  std::tuple<boost::system::error_code, std::size_t> read = co_await http::async_read(*stream, *buffer, parser, kTuple);
  out.got_response_bytes = parser.got_some();
  if (std::get<0>(read)) {
    out.ec = std::get<0>(read);
    co_return out;
  }
  auto& res = parser.get();
  HttpResponse r;
  r.status = res.result_int();
  for (const auto& field : res) r.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  r.body = std::move(res.body());
  out.keep_alive = res.keep_alive() && buffer->size() == 0;
  out.response = std::move(r);
  co_return out;
}

}  // namespace

HttpClientOptions HttpClientOptions::from_env(const common::Environment& env) {
  HttpClientOptions o;
  if (auto ca = env.get("AWS_CA_BUNDLE")) o.ca_bundle = *ca;
  return o;
}

struct BeastHttpClient::Impl {
  Impl(net::any_io_executor ex, HttpClientOptions opts, common::TimeSource& t)
      : executor(std::move(ex)), options(std::move(opts)), time(t), ssl_ctx(ssl::context::tls_client) {}

  net::any_io_executor executor;
  HttpClientOptions options;
  common::TimeSource& time;
  ssl::context ssl_ctx;
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle;
  HttpClientStats stats;

  std::unique_ptr<Connection> take_idle(const std::string& origin) {
    auto it = idle.find(origin);
    if (it == idle.end()) return nullptr;
    auto& list = it->second;
    auto now = time.steady_now();
    while (!list.empty()) {
      std::unique_ptr<Connection> c = std::move(list.back());
      list.pop_back();
      if (now - c->idle_since > options.max_idle_time) continue;
      if (looks_closed(*c)) continue;
      return c;
    }
    return nullptr;
  }

  void put_idle(std::unique_ptr<Connection> c) {
    if (options.max_idle_per_origin == 0) return;
    auto& list = idle[c->origin];
    if (list.size() >= options.max_idle_per_origin) list.erase(list.begin());  // the oldest
    c->idle_since = time.steady_now();
    list.push_back(std::move(c));
  }

  common::Error network_error(const boost::system::error_code& ec, const ParsedUrl& url, std::string_view stage,
                              std::chrono::milliseconds timeout) const {
    if (ec == beast::error::timeout) {
      return common::transient_error(ErrorCode::kTimeout, "HTTP request to " + url.origin() + " timed out after " +
                                                              std::to_string(timeout.count()) + " ms (" +
                                                              std::string(stage) + ")");
    }
    if (ec == http::error::body_limit || ec == http::error::buffer_overflow || ec == http::error::header_limit) {
      return common::make_error(ErrorCode::kTooLarge, "HTTP response from " + url.origin() + " exceeds " +
                                                          std::to_string(options.max_response_bytes) + " bytes");
    }
    if (ec.category() == http::make_error_code(http::error::bad_version).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return common::make_error(ErrorCode::kProtocol,
                                "malformed HTTP response from " + url.origin() + ": " + ec.message());
    }
    return common::transient_error(ErrorCode::kUnavailable,
                                   std::string(stage) + " " + url.origin() + " failed: " + ec.message());
  }

  common::Task<common::Result<std::unique_ptr<Connection>>> connect(ParsedUrl url, Clock::time_point deadline,
                                                                    std::chrono::milliseconds timeout) {
    tcp::resolver resolver(executor);
    std::string service = std::to_string(url.port);
    std::tuple<boost::system::error_code, tcp::resolver::results_type> resolved =
        co_await resolver.async_resolve(url.host, service, kTuple);
    if (std::get<0>(resolved)) {
      co_return common::transient_error(ErrorCode::kUnavailable,
                                        "cannot resolve " + url.host + ": " + std::get<0>(resolved).message());
    }
    auto conn = std::make_unique<Connection>();
    conn->origin = url.origin();
    beast::tcp_stream stream(executor);
    stream.expires_at(deadline);
    std::tuple<boost::system::error_code, tcp::endpoint> connected =
        co_await stream.async_connect(std::get<1>(resolved), kTuple);
    if (std::get<0>(connected)) co_return network_error(std::get<0>(connected), url, "connect to", timeout);
    stream.socket().set_option(tcp::no_delay(true));
    ++stats.connections_opened;
    if (!url.tls()) {
      conn->plain = std::make_unique<beast::tcp_stream>(std::move(stream));
      co_return conn;
    }
    conn->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(stream), ssl_ctx);
    SSL* ssl_handle = conn->tls->native_handle();
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    bool ip = is_ip_literal(url.host);
    if (ip) {
      X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl_handle, url.host.c_str());  // SNI
      X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), 0);
    }
    beast::get_lowest_layer(*conn->tls).expires_at(deadline);
    std::tuple<boost::system::error_code> handshake =
        co_await conn->tls->async_handshake(ssl::stream_base::client, kTuple);
    if (boost::system::error_code hec = std::get<0>(handshake)) {
      long verify = SSL_get_verify_result(ssl_handle);
      if (verify != X509_V_OK) {
        co_return common::make_error(
            ErrorCode::kUnavailable,
            "TLS certificate verification failed for " + url.origin() + ": " +
                X509_verify_cert_error_string(verify) +
                (options.ca_bundle.empty()
                     ? std::string("; if the server uses a private CA, set AWS_CA_BUNDLE to a PEM file holding it")
                     : "; checked against AWS_CA_BUNDLE " + options.ca_bundle));
      }
      co_return network_error(hec, url, "TLS handshake with", timeout);
    }
    co_return conn;
  }
};

BeastHttpClient::BeastHttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BeastHttpClient::~BeastHttpClient() = default;

common::Result<std::unique_ptr<BeastHttpClient>> BeastHttpClient::create(net::any_io_executor executor,
                                                                         HttpClientOptions options,
                                                                         common::TimeSource& time) {
  auto impl = std::make_unique<Impl>(std::move(executor), std::move(options), time);
  auto& ctx = impl->ssl_ctx;
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx.set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (!impl->options.ca_bundle.empty()) {
    ctx.load_verify_file(impl->options.ca_bundle, ec);
    if (ec) {
      return common::make_error(ErrorCode::kInvalidArgument,
                                "cannot load CA bundle " + impl->options.ca_bundle + " (AWS_CA_BUNDLE): " + ec.message());
    }
  } else {
    ctx.set_default_verify_paths(ec);
    if (ec) {
      return common::make_error(ErrorCode::kInvalidArgument, "cannot load the system CA store: " + ec.message());
    }
  }
  return std::unique_ptr<BeastHttpClient>(new BeastHttpClient(std::move(impl)));
}

HttpClientStats BeastHttpClient::stats() const { return impl_->stats; }

std::size_t BeastHttpClient::idle_connections() const {
  std::size_t n = 0;
  for (const auto& [origin, list] : impl_->idle) n += list.size();
  return n;
}

void BeastHttpClient::close_idle() { impl_->idle.clear(); }

common::Task<common::Result<HttpResponse>> BeastHttpClient::send(HttpRequest req) {
  Impl& im = *impl_;
  auto url = parse_url(req.url);
  if (!url) co_return url.error();
  auto verb = http::string_to_verb(req.method);
  if (verb == http::verb::unknown) {
    co_return common::make_error(ErrorCode::kInvalidArgument, "unknown HTTP method \"" + req.method + "\"");
  }
  BeastRequest breq{verb, url->target(), 11};
  bool has_host = false, has_agent = false;
  for (const auto& [name, value] : req.headers) {
    if (name.empty() || has_crlf(name) || has_crlf(value)) {
      co_return common::make_error(ErrorCode::kInvalidArgument, "HTTP header \"" + name + "\" holds a line break");
    }
    has_host = has_host || iequals(name, "host");
    has_agent = has_agent || iequals(name, "user-agent");
    breq.insert(name, value);
  }
  if (!has_host) breq.set(http::field::host, url->authority);
  if (!has_agent) breq.set(http::field::user_agent, im.options.user_agent);
  breq.body() = std::move(req.body);
  breq.keep_alive(true);
  breq.prepare_payload();

  ++im.stats.requests;
  auto start = Clock::now();
  auto deadline = start + req.timeout;
  const std::string origin = url->origin();
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection> conn = im.take_idle(origin);
    bool reused = conn != nullptr;
    if (reused) {
      ++im.stats.connections_reused;
    } else {
      auto c = co_await im.connect(*url, deadline, req.timeout);
      if (!c) co_return c.error();
      conn = std::move(c.value());
    }
    conn->lowest().expires_at(deadline);
    Exchange ex;  // (co_await inside ?: is miscompiled by g++ 12)
    if (conn->tls) {
      ex = co_await exchange_on(conn->tls.get(), &conn->buffer, &breq, im.options.max_response_bytes);
    } else {
      ex = co_await exchange_on(conn->plain.get(), &conn->buffer, &breq, im.options.max_response_bytes);
    }
    if (ex.response) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
      log::debug("http request", {{"method", req.method},
                                  {"origin", origin},
                                  {"path", url->path},
                                  {"status", ex.response->status},
                                  {"ms", ms},
                                  {"reused", reused}});
      if (ex.keep_alive) {
        conn->lowest().expires_never();
        im.put_idle(std::move(conn));
      }
      co_return std::move(*ex.response);
    }
    // The peer closed a pooled connection before answering: send again on a
    // new connection, once.
    if (reused && attempt == 0 && !ex.got_response_bytes && ex.ec != beast::error::timeout) {
      ++im.stats.stale_retries;
      log::debug("http pooled connection was closed by the peer; retrying", {{"origin", origin},
                                                                             {"error", ex.ec.message()}});
      continue;
    }
    co_return im.network_error(ex.ec, *url, ex.got_response_bytes ? "reading response from" : "request to",
                               req.timeout);
  }
}

}  // namespace ecssd::aws
