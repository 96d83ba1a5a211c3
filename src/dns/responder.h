#pragma once
// The embedded authoritative DNS responder: UDP and TCP sockets serving the
// current ZoneSnapshot with answer_into() (dns/answer.h).
//
// Threading: with threads >= 1 the responder runs its own threads, each with
// its own io_context and its own UDP socket (SO_REUSEPORT, recvmmsg/sendmmsg
// batches); TCP is accepted on the first of them. Queries therefore never wait
// for the agent's event loop. With threads == 0 everything runs on the
// io_context given to the constructor (tests, or the smallest footprint).
// publish() swaps the snapshot atomically from any thread: workers pick up
// the new one before their next batch (and are told to drop the old one at
// once); the old one is freed by whichever thread drops it last.
//
// Bounded under abuse: at most max_tcp_connections TCP connections (more are
// closed at once), each closed when no complete query arrives, or no answer
// leaves, within tcp_idle_timeout; a connection holds its buffers only once
// it has sent a query. Malformed queries are logged through a LogLimiter per
// thread (common/log_limiter.h): the first from a peer in full, then one
// count line a minute. No recursion: names outside the zone are REFUSED;
// AXFR/IXFR only to loopback peers (dns/answer.h).
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "common/listen_address.h"
#include "common/metrics.h"
#include "common/result.h"
#include "common/time_system.h"

namespace ecssd::dns {

class ZoneSnapshot;

struct ResponderOptions {
  // "address:port" or "[v6address]:port"; port 0 picks a free port (see port()).
  std::string listen = "127.0.0.1:8053";
  // Worker threads (one UDP socket each); 0 serves on the constructor's io_context.
  unsigned threads = 1;
  // Datagrams read and written per system call.
  unsigned udp_batch = 32;
  // Concurrent TCP connections (at least 1); more are closed at once.
  size_t max_tcp_connections = 128;
  // A TCP connection with no complete query for this long, or whose answer
  // is not read for this long, is closed (RFC 7766 6.2.3). Positive.
  std::chrono::milliseconds tcp_idle_timeout{10'000};
  // Required: the timers of the idle deadlines and of the log limiters (on
  // each worker's executor) and the clock behind them; must outlive the
  // responder. A SimulatedTimeSystem only with threads == 0.
  common::TimeSystem* time = nullptr;
  // When set: ecssd_dns_tcp_connections, ecssd_dns_tcp_refused_total,
  // ecssd_dns_tcp_idle_closed_total, ecssd_dns_malformed_queries_total.
  std::optional<common::Scope> metrics;
};

// Counters since start(), summed over the workers.
struct ResponderStats {
  uint64_t udp_queries = 0;
  uint64_t tcp_queries = 0;
  uint64_t dropped = 0;     // not answered (too short, a response, no room)
  uint64_t formerr = 0;
  uint64_t nxdomain = 0;
  uint64_t refused = 0;
  uint64_t truncated = 0;   // UDP answers sent with TC
  uint64_t transfers = 0;   // AXFR/IXFR served
  uint64_t tcp_connections = 0;  // accepted
  uint64_t tcp_rejected = 0;     // over max_tcp_connections
  uint64_t tcp_idle_closed = 0;  // closed by tcp_idle_timeout
  uint64_t tcp_open = 0;         // open now
  uint64_t malformed_logged = 0;     // malformed queries written to the log in full
  uint64_t malformed_suppressed = 0; // ... and only counted (see LogLimiter)
};


class Responder {
 public:
  Responder(boost::asio::io_context& io, ResponderOptions options);
  ~Responder();  // stops
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  // Binds UDP and TCP on options.listen and starts serving. Until the first
  // publish(), well-formed queries get SERVFAIL. Errors: kInvalidArgument for
  // a bad listen address or options (no time system, no connection allowed,
  // a zero idle timeout); kUnavailable (not transient) naming the
  // address and protocol when a socket cannot be bound (port taken,
  // permission denied). Calling start() twice is kInternal.
  common::Status start();

  // Closes the sockets and joins the threads; idempotent. With threads == 0
  // call it from the thread that runs the io_context (or while it is not
  // running); the closed coroutines finish the next time it runs.
  void stop();

  // Serves `snapshot` from now on in place of the one of the same zone; a
  // snapshot of another zone is served beside it (several --zone: a query
  // goes to the zone with the longest matching suffix of its name, one
  // outside them all to the first published, which refuses it). Null: back to
  // SERVFAIL for every zone. Any thread; never blocks on queries in flight.
  void publish(std::shared_ptr<const ZoneSnapshot> snapshot);

  // The first zone's current snapshot (for introspection and tests).
  std::shared_ptr<const ZoneSnapshot> snapshot() const;

  // The bound port (after start()), e.g. when listen asked for port 0.
  uint16_t port() const;
  // "address:port" as bound.
  std::string endpoint() const;

  ResponderStats stats() const;

 public:
  struct Impl;  // shared with the serving coroutines (responder.cc)

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace ecssd::dns
