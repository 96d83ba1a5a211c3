#include "dns/responder.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "common/listen_address.h"
#include "common/log.h"
#include "dns/responder_impl.h"
#include "model/names.h"

namespace ecssd::dns {
namespace {

// The lower-case question name of a query, without the trailing dot; empty
// when the question cannot be read (answer_into then says FORMERR).
std::string question_name(std::span<const uint8_t> query) {
  std::string name;
  size_t at = 12;
  while (at < query.size()) {
    size_t len = query[at];
    if (len == 0) return name;
    if (len > 63 || at + 1 + len > query.size()) return {};
    if (!name.empty()) name += '.';
    for (size_t i = 0; i < len; ++i) name += static_cast<char>(std::tolower(query[at + 1 + i]));
    at += 1 + len;
  }
  return {};
}

}  // namespace

const ZoneSnapshot* detail::ZoneList::pick(std::span<const uint8_t> query) const {
  if (all.empty()) return nullptr;
  if (all.size() == 1) return all.front().get();
  auto i = model::zone_for(question_name(query), names);
  return all[i ? *i : 0].get();
}

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using common::ErrorCode;
using common::make_error;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr size_t kUdpIn = 2048;               // larger datagrams are not DNS queries we answer
constexpr size_t kUdpOut = kEdnsBufferSize;   // the most a UDP answer may take
constexpr size_t kControl = 64;               // room for one IP_PKTINFO / IPV6_PKTINFO

bool loopback_peer(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) return true;
    return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

// The peer's address for a log line (v4-mapped v6 addresses as v4).
std::string peer_text(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (ss.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, buf, sizeof buf);
  } else if (ss.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a)) ::inet_ntop(AF_INET, &a.s6_addr[12], buf, sizeof buf);
    else ::inet_ntop(AF_INET6, &a, buf, sizeof buf);
  }
  return buf;
}

int setopt(int fd, int level, int name) {
  int one = 1;
  return ::setsockopt(fd, level, name, &one, sizeof one);
}

std::string endpoint_text(const asio::ip::address& a, uint16_t port) {
  return a.is_v6() ? fmt::format("[{}]:{}", a.to_string(), port) : fmt::format("{}:{}", a.to_string(), port);
}

std::string bind_error(const asio::ip::address& a, uint16_t port, std::string_view proto,
                       const boost::system::error_code& ec) {
  return fmt::format("cannot listen on {}/{}: {}", endpoint_text(a, port), proto, ec.message());
}

// One recvmmsg/sendmmsg batch: buffers, addresses and control data per slot.
struct UdpBatch {
  explicit UdpBatch(unsigned n)
      : in(n), out(n), addrs(n), in_ctrl(n), out_ctrl(n), in_iov(n), out_iov(n), in_msgs(n), out_msgs(n) {}
  std::vector<std::array<uint8_t, kUdpIn>> in;
  std::vector<std::array<uint8_t, kUdpOut>> out;
  std::vector<sockaddr_storage> addrs;
  std::vector<std::array<char, kControl>> in_ctrl, out_ctrl;
  std::vector<iovec> in_iov, out_iov;
  std::vector<mmsghdr> in_msgs, out_msgs;

  void arm(unsigned i, bool pktinfo) {
    in_iov[i] = {in[i].data(), in[i].size()};
    msghdr& h = in_msgs[i].msg_hdr;
    h = {};
    h.msg_name = &addrs[i];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = &in_iov[i];
    h.msg_iovlen = 1;
    if (pktinfo) {
      h.msg_control = in_ctrl[i].data();
      h.msg_controllen = in_ctrl[i].size();
    }
  }

  // Replies leave from the address the query came to (IP_PKTINFO), which
  // matters when listening on a wildcard address of a multi-homed host.
  void reply_control(unsigned i, msghdr& out_h) {
    const msghdr& h = in_msgs[i].msg_hdr;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
      size_t len = 0;
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        auto* info = reinterpret_cast<in_pktinfo*>(CMSG_DATA(c));
        info->ipi_spec_dst = info->ipi_addr;
        info->ipi_ifindex = 0;
        len = CMSG_SPACE(sizeof(in_pktinfo));
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        reinterpret_cast<in6_pktinfo*>(CMSG_DATA(c))->ipi6_ifindex = 0;
        len = CMSG_SPACE(sizeof(in6_pktinfo));
      }
      if (len == 0 || len > kControl) continue;
      std::memcpy(out_ctrl[i].data(), c, c->cmsg_len);
      out_h.msg_control = out_ctrl[i].data();
      out_h.msg_controllen = len;
      return;
    }
  }
};

common::Task<void> udp_loop(std::shared_ptr<Responder::Impl> self, Responder::Impl::Worker* w, bool pktinfo) {
  UdpBatch batch(std::max(1u, self->options.udp_batch));
  const unsigned n = static_cast<unsigned>(batch.in.size());
  const int fd = w->socket->native_handle();
  for (;;) {
    auto [ec] = co_await w->socket->async_wait(udp::socket::wait_read, kAwait);
    if (ec) co_return;  // closed
    for (;;) {
      for (unsigned i = 0; i < n; ++i) batch.arm(i, pktinfo);
      int got = ::recvmmsg(fd, batch.in_msgs.data(), n, MSG_DONTWAIT, nullptr);
      if (got <= 0) break;  // EAGAIN: drained (or the socket is closing)
      const detail::ZoneList* zones = self->refresh(*w);
      unsigned replies = 0;
      for (unsigned i = 0; i < static_cast<unsigned>(got); ++i) {
        const msghdr& h = batch.in_msgs[i].msg_hdr;
        size_t len = batch.in_msgs[i].msg_len;
        AnswerInfo info;
        if ((h.msg_flags & MSG_TRUNC) == 0) {
          QueryContext ctx{Transport::kUdp, loopback_peer(batch.addrs[i])};
          std::span<const uint8_t> query(batch.in[i].data(), len);
          info = answer_into(zones ? zones->pick(query) : nullptr, query, ctx, {batch.out[i].data(), kUdpOut});
        }
        w->counters.count(info);
        if (detail::malformed(info)) {
          detail::note_malformed(w->bad.get(), w->counters, self->metrics.malformed_udp, info, len, "udp",
                                 peer_text(batch.addrs[i]));
        }
        if (info.size == 0) continue;
        batch.out_iov[replies] = {batch.out[i].data(), info.size};
        msghdr& o = batch.out_msgs[replies].msg_hdr;
        o = {};
        o.msg_name = &batch.addrs[i];
        o.msg_namelen = h.msg_namelen;
        o.msg_iov = &batch.out_iov[replies];
        o.msg_iovlen = 1;
        if (pktinfo) batch.reply_control(i, o);
        ++replies;
      }
      for (unsigned sent = 0; sent < replies;) {
        int s = ::sendmmsg(fd, batch.out_msgs.data() + sent, replies - sent, MSG_DONTWAIT);
        if (s <= 0) break;  // socket buffer full: drop the rest, as a busy server must
        sent += static_cast<unsigned>(s);
      }
      if (static_cast<unsigned>(got) < n) break;
    }
  }
}

}  // namespace

namespace detail {

void note_malformed(common::LogLimiter* limiter, Counters& counters, common::Counter* metric, const AnswerInfo& info,
                    size_t query_size, std::string_view transport, std::string_view peer) {
  if (metric) metric->inc();
  if (limiter == nullptr) return;
  bool written = limiter->note(peer, spdlog::level::warn, "dns: malformed query",
                              {{"transport", transport},
                               {"size", query_size},
                               {"action", info.size == 0 ? "dropped" : "FORMERR"}});
  bump(written ? counters.malformed_logged : counters.malformed_suppressed);
}

}  // namespace detail

void Responder::Impl::make_limiters() {
  auto limiter = [this](asio::io_context& ctx, std::string what) {
    return std::make_unique<common::LogLimiter>(*time, ctx.get_executor(), std::move(what));
  };
  for (auto& w : workers) w->bad = limiter(*w->ctx, "malformed DNS queries");
  asio::io_context& tcp_ctx = *workers.front()->ctx;
  tcp_bad = limiter(tcp_ctx, "malformed DNS queries over TCP");
  tcp_refusals = limiter(tcp_ctx, "TCP connections closed at the connection limit");
  common::LogLimiter::Options by_error;
  by_error.source_field = "error";
  accept_errors = std::make_unique<common::LogLimiter>(*time, tcp_ctx.get_executor(), "failed TCP accepts", by_error);
}

// Limiters write their pending counts and must go before their io_contexts.
void Responder::Impl::drop_limiters() {
  for (auto& w : workers) w->bad.reset();
  tcp_bad.reset();
  tcp_refusals.reset();
  accept_errors.reset();
}

common::Status Responder::Impl::bind_udp(uint16_t port, bool& port_taken) {
  port_taken = false;
  udp::endpoint ep(address, port);
  size_t count = workers.size();
  boost::system::error_code ec;
  if (count > 1) {
    // SO_REUSEPORT would let us share the port with anyone who set it too:
    // check first, without it, that nobody holds the port.
    udp::socket probe(io);
    probe.open(ep.protocol(), ec);
    if (!ec) probe.bind(ep, ec);
    if (ec) {
      port_taken = ec == asio::error::address_in_use;
      return make_error(ErrorCode::kUnavailable, bind_error(address, port, "udp", ec));
    }
  }
  for (auto& w : workers) {
    w->socket.emplace(*w->ctx);
    w->socket->open(ep.protocol(), ec);
    if (ec) return make_error(ErrorCode::kUnavailable, bind_error(address, port, "udp", ec));
    int fd = w->socket->native_handle();
    if (count > 1 && setopt(fd, SOL_SOCKET, SO_REUSEPORT) != 0) {
      return make_error(ErrorCode::kUnavailable, fmt::format("SO_REUSEPORT: {}", std::strerror(errno)));
    }
    if (address.is_unspecified()) {
      setopt(fd, IPPROTO_IP, IP_PKTINFO);
      if (address.is_v6()) setopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO);
    }
    w->socket->bind(ep, ec);
    if (ec) {
      port_taken = ec == asio::error::address_in_use;
      return make_error(ErrorCode::kUnavailable, bind_error(address, port, "udp", ec));
    }
    w->socket->non_blocking(true, ec);
  }
  return {};
}

common::Status Responder::Impl::bind(uint16_t port) {
  boost::system::error_code ec;
  // Port 0: TCP picks the port and UDP follows; another process may hold that
  // UDP port, so try a few times.
  for (int attempt = 0; attempt < 10; ++attempt) {
    tcp::endpoint ep(address, port);
    acceptor.emplace(*workers.front()->ctx);
    acceptor->open(ep.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->bind(ep, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      acceptor.reset();
      return make_error(ErrorCode::kUnavailable, bind_error(address, port, "tcp", ec));
    }
    bound_port = acceptor->local_endpoint().port();
    bool taken = false;
    auto s = bind_udp(bound_port, taken);
    if (s.ok()) return s;
    acceptor.reset();
    for (auto& w : workers) w->socket.reset();
    if (port != 0 || !taken) return s;
  }
  return make_error(ErrorCode::kUnavailable, "no free port for both UDP and TCP");
}

Responder::Responder(asio::io_context& io, ResponderOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

Responder::~Responder() { stop(); }

common::Status Responder::start() {
  Impl& z = *impl_;
  if (z.started) return make_error(ErrorCode::kInternal, "responder already started");
  if (z.time == nullptr) return make_error(ErrorCode::kInvalidArgument, "the responder needs a time system");
  if (z.options.max_tcp_connections == 0) {
    return make_error(ErrorCode::kInvalidArgument, "the responder must allow at least one TCP connection");
  }
  if (z.options.tcp_idle_timeout.count() <= 0) {
    return make_error(ErrorCode::kInvalidArgument, "the responder's TCP idle timeout must be positive");
  }
  auto listen = common::parse_listen(z.options.listen);
  if (!listen.ok()) return listen.error();
  if (z.options.threads > 64) return make_error(ErrorCode::kInvalidArgument, "at most 64 responder threads");
  z.address = asio::ip::make_address(listen->address);

  unsigned n = std::max(1u, z.options.threads);
  for (unsigned i = 0; i < n; ++i) {
    auto w = std::make_unique<Impl::Worker>();
    if (z.options.threads > 0) {
      w->own = std::make_unique<asio::io_context>(1);
      w->ctx = w->own.get();
    } else {
      w->ctx = &z.io;
    }
    z.workers.push_back(std::move(w));
  }
  if (auto s = z.bind(listen->port); !s.ok()) {
    z.workers.clear();
    return s;
  }
  z.started = true;
  z.make_limiters();
  if (z.options.metrics) {
    const common::Scope& m = *z.options.metrics;
    const std::string malformed_help = "DNS queries dropped or answered FORMERR (logged at a limited rate)";
    z.metrics = {
        .tcp_open = &m.gauge("ecssd_dns_tcp_connections", "Open TCP connections of the DNS responder"),
        .tcp_refused = &m.counter("ecssd_dns_tcp_refused_total",
                                  "TCP connections closed at once: the responder had its most open"),
        .tcp_idle_closed = &m.counter("ecssd_dns_tcp_idle_closed_total",
                                      "TCP connections closed after the idle timeout"),
        .malformed_udp = &m.counter("ecssd_dns_malformed_queries_total", malformed_help, {{"transport", "udp"}}),
        .malformed_tcp = &m.counter("ecssd_dns_malformed_queries_total", malformed_help, {{"transport", "tcp"}}),
    };
  }
  bool pktinfo = z.address.is_unspecified();
  // The coroutines share ownership of the state, so that with threads == 0
  // they may finish on the caller's io_context after the Responder is gone.
  asio::co_spawn(*z.workers.front()->ctx, detail::tcp_accept(impl_), asio::detached);
  for (auto& w : z.workers) asio::co_spawn(*w->ctx, udp_loop(impl_, w.get(), pktinfo), asio::detached);
  if (z.options.threads > 0) {
    for (auto& w : z.workers) {
      w->thread = std::thread([ctx = w->ctx] { ctx->run(); });
    }
  }
  log::info("dns: responder listening", {{"address", endpoint()},
                                         {"threads", z.options.threads},
                                         {"tcp_max_connections", z.options.max_tcp_connections},
                                         {"tcp_idle_timeout_ms", z.options.tcp_idle_timeout.count()}});
  return {};
}

void Responder::stop() {
  Impl& z = *impl_;
  if (!z.started || z.stopped) return;
  z.stopped = true;
  if (z.options.threads > 0) {
    for (auto& w : z.workers) w->own->stop();
    for (auto& w : z.workers) {
      if (w->thread.joinable()) w->thread.join();
    }
  }
  boost::system::error_code ignored;
  if (z.acceptor) z.acceptor->close(ignored);
  for (auto& s : z.sessions) {
    s->socket.close(ignored);
    s->idle->cancel();
  }
  for (auto& w : z.workers) {
    if (w->socket) w->socket->close(ignored);
  }
  z.drop_limiters();  // writes their pending counts; their timers end
  if (z.options.threads > 0) {
    // Pending coroutine frames belong to the workers' io_contexts: destroying
    // those runs no handler, it only frees them.
    z.sessions.clear();
    for (auto& w : z.workers) {
      w->socket.reset();
      if (w == z.workers.front()) z.acceptor.reset();
      w->own.reset();
    }
  }
  log::info("dns: responder stopped", {{"address", endpoint()}});
}

void Responder::publish(std::shared_ptr<const ZoneSnapshot> snapshot) {
  Impl& z = *impl_;
  std::shared_ptr<const detail::ZoneList> old;
  {
    std::lock_guard lock(z.snapshot_mu);
    old = z.snapshot;
    std::shared_ptr<detail::ZoneList> next;
    if (snapshot) {
      next = std::make_shared<detail::ZoneList>(old ? *old : detail::ZoneList{});
      auto at = std::find(next->names.begin(), next->names.end(), snapshot->zone());
      if (at == next->names.end()) {
        next->names.push_back(snapshot->zone());
        next->all.push_back(std::move(snapshot));
      } else {
        next->all[static_cast<size_t>(at - next->names.begin())] = std::move(snapshot);
      }
    }
    z.snapshot = std::move(next);
    z.generation.fetch_add(1, std::memory_order_release);
  }
  // Each worker drops its copy of the old snapshot now rather than at its
  // next query, so an idle responder does not keep old zones alive.
  if (z.started && !z.stopped) {
    for (auto& w : z.workers) {
      asio::post(*w->ctx, [self = impl_, worker = w.get()] { self->refresh(*worker); });
    }
  }
  // `old` is released here, outside the lock, unless a worker still holds it.
}

std::shared_ptr<const ZoneSnapshot> Responder::snapshot() const {
  auto zones = impl_->current();
  return zones && !zones->all.empty() ? zones->all.front() : nullptr;
}

uint16_t Responder::port() const { return impl_->bound_port; }

std::string Responder::endpoint() const {
  return endpoint_text(impl_->address, impl_->bound_port);
}

ResponderStats Responder::stats() const {
  const Impl& z = *impl_;
  ResponderStats s;
  auto add = [&s](const detail::Counters& c, uint64_t& queries) {
    queries += c.queries.load(std::memory_order_relaxed);
    s.dropped += c.dropped.load(std::memory_order_relaxed);
    s.formerr += c.formerr.load(std::memory_order_relaxed);
    s.nxdomain += c.nxdomain.load(std::memory_order_relaxed);
    s.refused += c.refused.load(std::memory_order_relaxed);
    s.truncated += c.truncated.load(std::memory_order_relaxed);
    s.transfers += c.transfers.load(std::memory_order_relaxed);
    s.malformed_logged += c.malformed_logged.load(std::memory_order_relaxed);
    s.malformed_suppressed += c.malformed_suppressed.load(std::memory_order_relaxed);
  };
  for (const auto& w : z.workers) add(w->counters, s.udp_queries);
  add(z.tcp_counters, s.tcp_queries);
  s.tcp_connections = z.tcp_connections.load(std::memory_order_relaxed);
  s.tcp_rejected = z.tcp_rejected.load(std::memory_order_relaxed);
  s.tcp_idle_closed = z.tcp_idle_closed.load(std::memory_order_relaxed);
  s.tcp_open = z.tcp_open.load(std::memory_order_relaxed);
  return s;
}

}  // namespace ecssd::dns
