#pragma once
// Internal to src/dns: the state the responder shares with its serving
// coroutines (responder.cc: UDP, binding, lifetime; responder_tcp.cc: TCP).
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "common/log_limiter.h"
#include "common/task.h"
#include "dns/answer.h"
#include "dns/responder.h"
#include "dns/zone.h"

namespace ecssd::dns::detail {

// The zones served, immutable once published: a new list replaces it.
struct ZoneList {
  std::vector<std::shared_ptr<const ZoneSnapshot>> all;
  std::vector<std::string> names;  // all[i]->zone()

  // The zone whose answer the query gets: the longest match of the question
  // name (several --zone); else the first, which refuses names outside it.
  const ZoneSnapshot* pick(std::span<const uint8_t> query) const;
};

inline void bump(std::atomic<uint64_t>& c, uint64_t n = 1) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);  // one writer per counter
}

// Per-worker counters on their own cache line; read by stats() from any thread.
struct alignas(64) Counters {
  std::atomic<uint64_t> queries{0}, dropped{0}, formerr{0}, nxdomain{0}, refused{0}, truncated{0}, transfers{0};
  std::atomic<uint64_t> malformed_logged{0}, malformed_suppressed{0};

  void count(const AnswerInfo& info) {
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

// Dropped, or answered FORMERR: bad input worth a (limited) log line.
inline bool malformed(const AnswerInfo& info) {
  return !info.transfer && (info.size == 0 || info.rcode == rcode::kFormErr);
}

// The series of ResponderOptions::metrics (all null without it).
struct ResponderMetrics {
  common::Gauge* tcp_open = nullptr;
  common::Counter* tcp_refused = nullptr;
  common::Counter* tcp_idle_closed = nullptr;
  common::Counter* malformed_udp = nullptr;
  common::Counter* malformed_tcp = nullptr;
};

struct TcpSession {
  TcpSession(boost::asio::ip::tcp::socket s, std::unique_ptr<common::Timer> t)
      : socket(std::move(s)), idle(std::move(t)) {}
  boost::asio::ip::tcp::socket socket;
  // The idle deadline, re-armed before each read of a query and each write
  // of an answer; the watchdog closes the socket when it passes.
  std::unique_ptr<common::Timer> idle;
  std::string peer;  // the peer's address, for log lines
  bool loopback = false;
};

}  // namespace ecssd::dns::detail

namespace ecssd::dns {

struct Responder::Impl {
  struct Worker {
    std::unique_ptr<boost::asio::io_context> own;  // null when serving on the caller's io_context
    boost::asio::io_context* ctx = nullptr;
    std::optional<boost::asio::ip::udp::socket> socket;
    std::thread thread;
    detail::Counters counters;
    std::shared_ptr<const detail::ZoneList> snap;  // this worker's copy, refreshed per batch
    uint64_t generation = ~uint64_t{0};
    // This worker's thread only; dropped by stop() (before its io_context
    // goes, and so that no limiter's timer keeps the caller's io_context busy).
    std::unique_ptr<common::LogLimiter> bad;
  };

  Impl(boost::asio::io_context& io_in, ResponderOptions o) : io(io_in), options(std::move(o)), time(options.time) {}

  boost::asio::io_context& io;
  ResponderOptions options;
  common::TimeSystem* time;  // options.time; start() refuses null
  detail::ResponderMetrics metrics;
  boost::asio::ip::address address;
  uint16_t bound_port = 0;
  bool started = false;
  bool stopped = false;

  mutable std::mutex snapshot_mu;
  std::shared_ptr<const detail::ZoneList> snapshot;
  std::atomic<uint64_t> generation{0};

  std::vector<std::unique_ptr<Worker>> workers;
  std::optional<boost::asio::ip::tcp::acceptor> acceptor;
  // TCP runs on workers[0]'s executor; these are touched from there only
  // (and from stop() once that executor no longer runs).
  std::set<std::shared_ptr<detail::TcpSession>> sessions;
  detail::Counters tcp_counters;
  std::atomic<uint64_t> tcp_connections{0}, tcp_rejected{0}, tcp_idle_closed{0}, tcp_open{0};
  std::unique_ptr<common::LogLimiter> tcp_bad;       // malformed queries over TCP
  std::unique_ptr<common::LogLimiter> tcp_refusals;  // connections over the limit
  std::unique_ptr<common::LogLimiter> accept_errors;

  std::shared_ptr<const detail::ZoneList> current() const {
    std::lock_guard lock(snapshot_mu);
    return snapshot;
  }

  const detail::ZoneList* refresh(Worker& w) {
    if (generation.load(std::memory_order_acquire) != w.generation) {
      std::lock_guard lock(snapshot_mu);
      w.snap = snapshot;
      w.generation = generation.load(std::memory_order_relaxed);
    }
    return w.snap.get();
  }

  common::Status bind(uint16_t port);
  common::Status bind_udp(uint16_t port, bool& port_taken);
  void make_limiters();
  void drop_limiters();
};

namespace detail {

// Accepts TCP connections on self->acceptor until it closes (responder_tcp.cc).
common::Task<void> tcp_accept(std::shared_ptr<Responder::Impl> self);

// Logs one malformed query through `limiter` (the first from `peer` in full,
// then counted; nothing once stop() dropped it) and counts it in `counters`
// and `metric`.
void note_malformed(common::LogLimiter* limiter, Counters& counters, common::Counter* metric,
                    const AnswerInfo& info, size_t query_size, std::string_view transport, std::string_view peer);

}  // namespace detail
}  // namespace ecssd::dns
