// The responder's TCP side (RFC 7766): accepting up to max_tcp_connections,
// length-prefixed queries (pipelined), answers in order, zone transfers to
// loopback peers, and the idle deadline of every connection.
#include <array>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/log.h"
#include "dns/responder_impl.h"

namespace ecssd::dns::detail {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

bool loopback_address(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).is_loopback();
  }
  return a.is_loopback();
}

std::string address_text(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
  }
  return a.to_string();
}

// Closes the connection once its idle deadline passes; ends quietly when the
// session cancels the timer (the connection ended another way).
common::Task<void> tcp_watchdog(std::shared_ptr<Responder::Impl> self, std::shared_ptr<TcpSession> s) {
  const bool expired = co_await s->idle->wait();
  if (!expired || !s->socket.is_open()) co_return;
  bump(self->tcp_idle_closed);
  if (self->metrics.tcp_idle_closed) self->metrics.tcp_idle_closed->inc();
  boost::system::error_code ignored;
  s->socket.close(ignored);  // the pending read or write ends with an error
}

common::Task<bool> write_message(std::shared_ptr<TcpSession> s, const uint8_t* data, size_t size) {
  uint8_t prefix[2] = {static_cast<uint8_t>(size >> 8), static_cast<uint8_t>(size & 0xff)};
  std::array<asio::const_buffer, 2> bufs{asio::buffer(prefix), asio::buffer(data, size)};
  auto [ec, n] = co_await asio::async_write(s->socket, bufs, kAwait);
  co_return !ec;
}

// Serves one connection until the peer closes it, sends what we do not
// answer, or its idle deadline passes. Buffers are taken only once a query
// is being read: an idle connection holds its socket and two coroutine frames.
common::Task<void> tcp_serve(std::shared_ptr<Responder::Impl> self, std::shared_ptr<TcpSession> s) {
  std::vector<uint8_t> in, out;
  const auto idle = self->options.tcp_idle_timeout;
  for (;;) {
    s->idle->expires_after(idle);
    uint8_t prefix[2];
    auto [ec1, n1] = co_await asio::async_read(s->socket, asio::buffer(prefix), kAwait);
    if (ec1) break;
    size_t len = (size_t{prefix[0]} << 8) | prefix[1];
    in.resize(len);
    auto [ec2, n2] = co_await asio::async_read(s->socket, asio::buffer(in.data(), len), kAwait);
    if (ec2) break;
    if (out.empty()) out.resize(kMaxMessageSize);
    auto zones = self->current();  // keeps the picked zone alive
    std::span<const uint8_t> query(in.data(), len);
    const ZoneSnapshot* zone = zones ? zones->pick(query) : nullptr;
    AnswerInfo info = answer_into(zone, query, {Transport::kTcp, s->loopback}, out);
    self->tcp_counters.count(info);
    if (malformed(info)) {
      note_malformed(self->tcp_bad.get(), self->tcp_counters, self->metrics.malformed_tcp, info, len, "tcp", s->peer);
    }
    s->idle->expires_after(idle);
    if (info.transfer) {
      auto messages = transfer(*zone, query);
      bool ok = !messages.empty();
      for (const auto& m : messages) {
        s->idle->expires_after(idle);
        if (!(ok = co_await write_message(s, reinterpret_cast<const uint8_t*>(m.data()), m.size()))) break;
      }
      if (!ok) break;
      log::debug("dns: zone transferred", {{"zone", zone->zone()}, {"serial", zone->serial()},
                                          {"messages", messages.size()}});
      continue;
    }
    if (info.size == 0) break;  // not a query we answer: RFC 7766 lets us close
    if (!co_await write_message(s, out.data(), info.size)) break;
  }
  boost::system::error_code ignored;
  s->socket.close(ignored);
  s->idle->cancel();
  self->sessions.erase(s);
  self->tcp_open.store(self->sessions.size(), std::memory_order_relaxed);
  if (self->metrics.tcp_open) self->metrics.tcp_open->set(static_cast<double>(self->sessions.size()));
}

void refuse(Responder::Impl& self, tcp::socket& socket) {
  bump(self.tcp_rejected);
  if (self.metrics.tcp_refused) self.metrics.tcp_refused->inc();
  boost::system::error_code pec;
  auto peer = socket.remote_endpoint(pec);
  if (self.tcp_refusals) {
    self.tcp_refusals->note(pec ? std::string("?") : address_text(peer.address()), spdlog::level::warn,
                            "dns: TCP connection closed at once: at the connection limit",
                            {{"limit", self.options.max_tcp_connections}});
  }
  boost::system::error_code ignored;
  socket.close(ignored);
}

}  // namespace

common::Task<void> tcp_accept(std::shared_ptr<Responder::Impl> self) {
  auto executor = co_await asio::this_coro::executor;
  for (;;) {
    auto [ec, socket] = co_await self->acceptor->async_accept(kAwait);
    if (ec) {
      if (!self->acceptor->is_open() || !self->accept_errors) co_return;
      self->accept_errors->note(ec.message(), spdlog::level::warn, "dns: accepting a TCP connection failed");
      co_await self->time->sleep_for(std::chrono::milliseconds(100));  // e.g. out of descriptors
      continue;
    }
    if (self->sessions.size() >= self->options.max_tcp_connections) {
      refuse(*self, socket);
      continue;
    }
    bump(self->tcp_connections);
    boost::system::error_code pec;
    auto peer = socket.remote_endpoint(pec);
    auto session = std::make_shared<TcpSession>(std::move(socket), self->time->make_timer(executor));
    session->loopback = !pec && loopback_address(peer.address());
    session->peer = pec ? std::string("?") : address_text(peer.address());
    session->idle->expires_after(self->options.tcp_idle_timeout);
    self->sessions.insert(session);
    self->tcp_open.store(self->sessions.size(), std::memory_order_relaxed);
    if (self->metrics.tcp_open) self->metrics.tcp_open->set(static_cast<double>(self->sessions.size()));
    asio::co_spawn(executor, tcp_watchdog(self, session), asio::detached);
    asio::co_spawn(executor, tcp_serve(self, session), asio::detached);
  }
}

}  // namespace ecssd::dns::detail
