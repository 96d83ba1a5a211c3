#include "dns/responder.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "common/listen_address.h"
#include "common/log.h"
#include "dns/answer.h"
#include "dns/zone.h"

namespace ecssd::dns {
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
constexpr auto kLogInterval = std::chrono::seconds(1);

// Per-worker counters on their own cache line; read by stats() from any thread.
struct alignas(64) Counters {
  std::atomic<uint64_t> queries{0}, dropped{0}, formerr{0}, nxdomain{0}, refused{0}, truncated{0}, transfers{0};

  void count(const AnswerInfo& info) {
    auto bump = [](std::atomic<uint64_t>& c) { c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); };
    bump(queries);
    if (info.transfer) {
      bump(transfers);
      return;
    }
    if (info.size == 0) bump(dropped);
    else if (info.rcode == rcode::kFormErr) bump(formerr);
    else if (info.rcode == rcode::kNxDomain) bump(nxdomain);
    else if (info.rcode == rcode::kRefused) bump(refused);
    if (info.truncated) bump(truncated);
  }
};

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

bool loopback_address(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).is_loopback();
  }
  return a.is_loopback();
}

// Logs malformed queries at most once a second per worker: a flood of bad
// packets must not become a flood of log lines.
class BadQueryLog {
 public:
  void note(const common::TimeSource& time, const AnswerInfo& info, size_t query_size, std::string_view transport) {
    if (info.transfer || (info.size != 0 && info.rcode != rcode::kFormErr)) return;
    ++pending_;
    auto now = time.steady_now();
    if (now < next_) return;
    next_ = now + kLogInterval;
    log::warn("dns: malformed queries", {{"count", pending_},
                                         {"last_size", query_size},
                                         {"transport", transport},
                                         {"action", info.size == 0 ? "dropped" : "FORMERR"}});
    pending_ = 0;
  }

 private:
  common::SteadyTime next_{};
  uint64_t pending_ = 0;
};

struct TcpSession {
  explicit TcpSession(tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}
  tcp::socket socket;
  asio::steady_timer timer;
  bool loopback = false;
};

}  // namespace

struct Responder::Impl {
  struct Worker {
    std::unique_ptr<asio::io_context> own;  // null when serving on the caller's io_context
    asio::io_context* ctx = nullptr;
    std::optional<udp::socket> socket;
    std::thread thread;
    Counters counters;
    std::shared_ptr<const ZoneSnapshot> snap;  // this worker's copy, refreshed per batch
    uint64_t generation = ~uint64_t{0};
    BadQueryLog bad;
  };

  Impl(asio::io_context& io_in, ResponderOptions o) : io(io_in), options(std::move(o)) {
    time = options.time ? options.time : &common::RealTimeSource::instance();
  }

  asio::io_context& io;
  ResponderOptions options;
  const common::TimeSource* time = nullptr;
  asio::ip::address address;
  uint16_t bound_port = 0;
  bool started = false;
  bool stopped = false;

  mutable std::mutex snapshot_mu;
  std::shared_ptr<const ZoneSnapshot> snapshot;
  std::atomic<uint64_t> generation{0};

  std::vector<std::unique_ptr<Worker>> workers;
  std::optional<tcp::acceptor> acceptor;
  // TCP runs on workers[0]'s executor; these are touched from there only
  // (and from stop() once that executor no longer runs).
  std::set<std::shared_ptr<TcpSession>> sessions;
  Counters tcp_counters;
  std::atomic<uint64_t> tcp_connections{0}, tcp_rejected{0};
  BadQueryLog tcp_bad;

  std::shared_ptr<const ZoneSnapshot> current() const {
    std::lock_guard lock(snapshot_mu);
    return snapshot;
  }

  const ZoneSnapshot* refresh(Worker& w) {
    if (generation.load(std::memory_order_acquire) != w.generation) {
      std::lock_guard lock(snapshot_mu);
      w.snap = snapshot;
      w.generation = generation.load(std::memory_order_relaxed);
    }
    return w.snap.get();
  }

  common::Status bind(uint16_t port);
  common::Status bind_udp(uint16_t port, bool& port_taken);
  void serve_udp(Worker& w);
};

namespace {

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

asio::awaitable<void> udp_loop(std::shared_ptr<Responder::Impl> self, Responder::Impl::Worker* w, bool pktinfo) {
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
      const ZoneSnapshot* zone = self->refresh(*w);
      unsigned replies = 0;
      for (unsigned i = 0; i < static_cast<unsigned>(got); ++i) {
        const msghdr& h = batch.in_msgs[i].msg_hdr;
        size_t len = batch.in_msgs[i].msg_len;
        AnswerInfo info;
        if ((h.msg_flags & MSG_TRUNC) == 0) {
          QueryContext ctx{Transport::kUdp, loopback_peer(batch.addrs[i])};
          info = answer_into(zone, {batch.in[i].data(), len}, ctx, {batch.out[i].data(), kUdpOut});
        }
        w->counters.count(info);
        w->bad.note(*self->time, info, len, "udp");
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

asio::awaitable<void> tcp_watchdog(std::shared_ptr<TcpSession> s) {
  while (s->socket.is_open()) {
    co_await s->timer.async_wait(kAwait);
    if (s->timer.expiry() <= asio::steady_timer::clock_type::now()) {
      boost::system::error_code ignored;
      s->socket.close(ignored);
    }
  }
}

asio::awaitable<bool> write_message(std::shared_ptr<TcpSession> s, const uint8_t* data, size_t size) {
  uint8_t prefix[2] = {static_cast<uint8_t>(size >> 8), static_cast<uint8_t>(size & 0xff)};
  std::array<asio::const_buffer, 2> bufs{asio::buffer(prefix), asio::buffer(data, size)};
  auto [ec, n] = co_await asio::async_write(s->socket, bufs, kAwait);
  co_return !ec;
}

asio::awaitable<void> tcp_serve(std::shared_ptr<Responder::Impl> self, std::shared_ptr<TcpSession> s) {
  std::vector<uint8_t> in(kMaxMessageSize), out(kMaxMessageSize);
  const auto idle = self->options.tcp_idle_timeout;
  for (;;) {
    s->timer.expires_after(idle);
    uint8_t prefix[2];
    auto [ec1, n1] = co_await asio::async_read(s->socket, asio::buffer(prefix), kAwait);
    if (ec1) break;
    size_t len = (size_t{prefix[0]} << 8) | prefix[1];
    auto [ec2, n2] = co_await asio::async_read(s->socket, asio::buffer(in.data(), len), kAwait);
    if (ec2) break;
    auto zone = self->current();
    std::span<const uint8_t> query(in.data(), len);
    AnswerInfo info = answer_into(zone.get(), query, {Transport::kTcp, s->loopback}, out);
    self->tcp_counters.count(info);
    self->tcp_bad.note(*self->time, info, len, "tcp");
    s->timer.expires_after(idle);
    if (info.transfer) {
      auto messages = transfer(*zone, query);
      bool ok = !messages.empty();
      for (const auto& m : messages) {
        s->timer.expires_after(idle);
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
  s->timer.cancel();
  self->sessions.erase(s);
}

asio::awaitable<void> tcp_accept(std::shared_ptr<Responder::Impl> self) {
  auto executor = co_await asio::this_coro::executor;
  for (;;) {
    auto [ec, socket] = co_await self->acceptor->async_accept(kAwait);
    if (ec) {
      if (!self->acceptor->is_open()) co_return;
      log::warn("dns: accepting a TCP connection failed", {{"error", ec.message()}});
      asio::steady_timer pause(executor, std::chrono::milliseconds(100));  // e.g. out of descriptors
      co_await pause.async_wait(kAwait);
      continue;
    }
    if (self->sessions.size() >= self->options.max_tcp_connections) {
      self->tcp_rejected.fetch_add(1, std::memory_order_relaxed);
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    self->tcp_connections.fetch_add(1, std::memory_order_relaxed);
    boost::system::error_code pec;
    auto peer = socket.remote_endpoint(pec);
    auto session = std::make_shared<TcpSession>(std::move(socket));
    session->loopback = !pec && loopback_address(peer.address());
    self->sessions.insert(session);
    asio::co_spawn(executor, tcp_serve(self, session), asio::detached);
    asio::co_spawn(executor, tcp_watchdog(session), asio::detached);
  }
}

}  // namespace

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
  bool pktinfo = z.address.is_unspecified();
  // The coroutines share ownership of the state, so that with threads == 0
  // they may finish on the caller's io_context after the Responder is gone.
  asio::co_spawn(*z.workers.front()->ctx, tcp_accept(impl_), asio::detached);
  for (auto& w : z.workers) asio::co_spawn(*w->ctx, udp_loop(impl_, w.get(), pktinfo), asio::detached);
  if (z.options.threads > 0) {
    for (auto& w : z.workers) {
      w->thread = std::thread([ctx = w->ctx] { ctx->run(); });
    }
  }
  log::info("dns: responder listening", {{"address", endpoint()}, {"threads", z.options.threads}});
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
    s->timer.cancel();
  }
  for (auto& w : z.workers) {
    if (w->socket) w->socket->close(ignored);
  }
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
  std::shared_ptr<const ZoneSnapshot> old;
  {
    std::lock_guard lock(z.snapshot_mu);
    old = std::move(z.snapshot);
    z.snapshot = std::move(snapshot);
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

std::shared_ptr<const ZoneSnapshot> Responder::snapshot() const { return impl_->current(); }

uint16_t Responder::port() const { return impl_->bound_port; }

std::string Responder::endpoint() const {
  return endpoint_text(impl_->address, impl_->bound_port);
}

ResponderStats Responder::stats() const {
  const Impl& z = *impl_;
  ResponderStats s;
  auto add = [&s](const Counters& c, uint64_t& queries) {
    queries += c.queries.load(std::memory_order_relaxed);
    s.dropped += c.dropped.load(std::memory_order_relaxed);
    s.formerr += c.formerr.load(std::memory_order_relaxed);
    s.nxdomain += c.nxdomain.load(std::memory_order_relaxed);
    s.refused += c.refused.load(std::memory_order_relaxed);
    s.truncated += c.truncated.load(std::memory_order_relaxed);
    s.transfers += c.transfers.load(std::memory_order_relaxed);
  };
  for (const auto& w : z.workers) add(w->counters, s.udp_queries);
  add(z.tcp_counters, s.tcp_queries);
  s.tcp_connections = z.tcp_connections.load(std::memory_order_relaxed);
  s.tcp_rejected = z.tcp_rejected.load(std::memory_order_relaxed);
  return s;
}

}  // namespace ecssd::dns
