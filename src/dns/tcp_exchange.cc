#include "dns/tcp_exchange.h"

// g++ 12 with -O2 reports a false -Wmismatched-new-delete on Asio 1.81's
// awaitable frame allocator (see axfr_client.cc): silenced for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "common/listen_address.h"
#include "dns/knot_util.h"
#include "dns/tsig.h"

namespace ecssd::dns::detail {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using common::ErrorCode;
using common::make_error;
using common::transient_error;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxTcpMessageSize = 65535;

struct Connection {
  Connection(asio::any_io_executor ex, common::TimeSystem& time) : socket(ex), timer(time.make_timer(ex)) {}
  tcp::socket socket;
  std::unique_ptr<common::Timer> timer;
  bool timed_out = false;
};

// Closes the socket when the deadline passes, which fails the pending I/O.
common::Task<void> deadline(std::shared_ptr<Connection> c) {
  if (!co_await c->timer->wait()) co_return;  // cancelled: the exchange ended
  c->timed_out = true;
  boost::system::error_code ignored;
  c->socket.close(ignored);
}

struct Close {
  std::shared_ptr<Connection> c;
  ~Close() {
    c->timer->cancel();
    boost::system::error_code ignored;
    c->socket.close(ignored);
  }
};


// Parses an answer and checks that it answers `id`, then its TSIG.
common::Result<ParsedAnswer> parse_answer(std::vector<uint8_t>& buf, uint16_t id, std::optional<TsigExchange>& tsig,
                                          PktPtr& holder, std::string_view what) {
  holder.reset(knot_pkt_new(buf.data(), buf.size(), nullptr));
  if (!holder) return make_error(ErrorCode::kInternal, "out of memory");
  if (int ret = knot_pkt_parse(holder.get(), 0); ret != KNOT_EOK) {
    return make_error(ErrorCode::kProtocol, fmt::format("{}: a malformed answer ({})", what, knot_error(ret)));
  }
  if (knot_wire_get_id(holder->wire) != id || !knot_wire_get_qr(holder->wire)) {
    return make_error(ErrorCode::kProtocol, fmt::format("{}: an answer to another message", what));
  }
  ParsedAnswer a;
  a.pkt = holder.get();
  // The header RCODE with EDNS's upper bits, not knot_pkt_ext_rcode(): that
  // folds the TSIG error in (BADSIG would read as BADVERS), and the TSIG
  // verdict is reported on its own.
  a.answer.rcode = holder->opt_rr ? knot_edns_whole_rcode(knot_edns_get_ext_rcode(holder->opt_rr),
                                                          knot_wire_get_rcode(holder->wire))
                                  : knot_wire_get_rcode(holder->wire);
  if (tsig) {
    a.answer.tsig = tsig->server_verdict(holder.get());
    a.answer.signature = tsig->verify(holder.get());
    a.covered = a.answer.signature.ok() && tsig->last_signed();
  }
  return a;
}

}  // namespace

common::Task<common::Status> exchange(const ServerOptions& o, std::vector<uint8_t> request, size_t max_bytes,
                                      AnswerHandler on_answer, WireStats* stats, std::string_view what) {
  auto listen = common::parse_listen(o.server);
  if (!listen.ok()) co_return listen.error();
  if (request.size() < 12) co_return make_error(ErrorCode::kInternal, "a request without a header");
  const uint16_t id = knot_wire_get_id(request.data());
  std::optional<TsigExchange> tsig;
  if (o.key) {
    tsig.emplace(*o.key);
    size_t size = request.size();
    request.resize(kMaxTcpMessageSize);
    if (auto s = tsig->sign(request.data(), &size, request.size()); !s.ok()) co_return s.error();
    request.resize(size);
  }
  auto io_error = [&](const Connection& c, std::string_view step, const boost::system::error_code& ec) {
    if (c.timed_out) {
      return transient_error(ErrorCode::kTimeout,
                             fmt::format("{} at {}: no answer within {} ms", what, o.server, o.timeout.count()));
    }
    return transient_error(ErrorCode::kUnavailable, fmt::format("{} at {}: {}: {}", what, o.server, step, ec.message()));
  };

  auto ex = co_await asio::this_coro::executor;
  auto c = std::make_shared<Connection>(ex, *o.time);
  c->timer->expires_after(o.timeout);
  asio::co_spawn(ex, deadline(c), asio::detached);
  Close close{c};

  tcp::endpoint ep(asio::ip::make_address(listen->address), listen->port);
  auto [cec] = co_await c->socket.async_connect(ep, kAwait);
  if (cec) co_return io_error(*c, "connect", cec);
  uint8_t prefix[2] = {static_cast<uint8_t>(request.size() >> 8), static_cast<uint8_t>(request.size() & 0xff)};
  std::array<asio::const_buffer, 2> out = {asio::buffer(prefix), asio::buffer(request)};
  auto [wec, wn] = co_await asio::async_write(c->socket, out, kAwait);
  if (wec) co_return io_error(*c, "send", wec);
  if (stats) stats->bytes_sent += wn;

  size_t total = 0;
  std::vector<uint8_t> buf;
  PktPtr holder;
  while (true) {
    uint8_t len_bytes[2];
    auto [rec1, rn1] = co_await asio::async_read(c->socket, asio::buffer(len_bytes), kAwait);
    if (rec1) co_return io_error(*c, "receive", rec1);
    size_t len = (size_t{len_bytes[0]} << 8) | len_bytes[1];
    total += len + 2;
    if (total > max_bytes) {
      co_return make_error(ErrorCode::kTooLarge, fmt::format("{} at {}: answers exceed {} octets", what, o.server,
                                                             max_bytes));
    }
    buf.resize(len);
    auto [rec2, rn2] = co_await asio::async_read(c->socket, asio::buffer(buf), kAwait);
    if (rec2) co_return io_error(*c, "receive", rec2);
    if (stats) {
      stats->bytes_received += len + 2;
      ++stats->messages;
    }
    auto parsed = parse_answer(buf, id, tsig, holder, what);
    if (!parsed.ok()) co_return parsed.error();
    auto done = on_answer(*parsed);
    if (!done.ok()) co_return done.error();
    if (*done) co_return common::Status{};
  }
}

}  // namespace ecssd::dns::detail
