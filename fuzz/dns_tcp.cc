// The responder's TCP side (dns/responder.cc) for real: the input is a byte
// stream of length-prefixed queries (RFC 7766), written to a loopback
// connection in pieces cut from the input. Invariant: the server sends back
// exactly what answer_into()/transfer() give each complete query, in order,
// each with its length prefix, and closes the connection after a query it
// drops; nothing is lost, repeated or sent for an incomplete message. The
// zone has no rotation, so the answers are the same bytes every time.
//
// The connection is ended with a reset, never a FIN, so that no TIME_WAIT
// entries pile up on a machine other tests share.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <boost/asio/io_context.hpp>

#include "common/time_system.h"
#include "dns/answer.h"
#include "dns/responder.h"
#include "dns_zone.h"
#include "fuzz_util.h"

namespace ecssd::fuzz {
namespace {

std::shared_ptr<const dns::ZoneSnapshot> g_zone;
boost::asio::io_context* g_io = nullptr;
dns::Responder* g_responder = nullptr;

// What the server must send for `stream`, and whether it must then close.
struct Expected {
  std::string bytes;
  bool closes = false;
};

Expected expected_answers(std::string_view stream) {
  Expected e;
  while (stream.size() >= 2) {
    size_t len = (size_t{static_cast<uint8_t>(stream[0])} << 8) | static_cast<uint8_t>(stream[1]);
    if (stream.size() - 2 < len) break;  // incomplete: the server keeps waiting
    std::span<const uint8_t> query(reinterpret_cast<const uint8_t*>(stream.data()) + 2, len);
    stream.remove_prefix(2 + len);
    auto answers = dns::answer(g_zone.get(), query, {dns::Transport::kTcp, true});
    if (answers.empty()) {  // dropped: RFC 7766 lets the server close
      e.closes = true;
      break;
    }
    for (const auto& a : answers) {
      e.bytes.push_back(static_cast<char>(a.size() >> 8));
      e.bytes.push_back(static_cast<char>(a.size() & 0xff));
      e.bytes += a;
    }
  }
  return e;
}

std::string hex(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 400)) out += fmt::format("{:02x}", c);
  return out;
}

int connect_to(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  FUZZ_CHECK(fd >= 0, std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  if (rc != 0 && errno == EINTR) {
    // A signal (libFuzzer's own timer) cut the wait short; the connection
    // goes on in the kernel: wait for it and take its outcome.
    pollfd p{fd, POLLOUT, 0};
    while (::poll(&p, 1, 5000) < 0 && errno == EINTR) {
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    rc = err == 0 && (p.revents & POLLOUT) != 0 ? 0 : -1;
    errno = err != 0 ? err : ETIMEDOUT;
  }
  FUZZ_CHECK(rc == 0, std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // each piece its own segment
  linger reset{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

// Writes the pieces (one send per piece) while reading what comes back,
// until the expected answers (and the close, when expected) have arrived.
struct Received {
  std::string bytes;
  bool closed = false;  // EOF or reset
  bool reset = false;
  std::string trace;  // what happened, for the failure message
};

Received exchange(int fd, const std::vector<std::string_view>& pieces, const Expected& want) {
  Received got;
  size_t piece = 0, offset = 0;
  bool writable = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  char buf[65536];
  while (!got.closed && (got.bytes.size() < want.bytes.size() || (want.closes && !got.closed) ||
                         (writable && piece < pieces.size()))) {
    pollfd p{fd, static_cast<short>(POLLIN | (writable && piece < pieces.size() ? POLLOUT : 0)), 0};
    int ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    FUZZ_CHECK(ms > 0, fmt::format("no answer in 30 s: got {} of {} octets, closed={}", got.bytes.size(),
                                   want.bytes.size(), got.closed));
    if (::poll(&p, 1, ms) <= 0) continue;
    if (p.revents & POLLIN || p.revents & (POLLHUP | POLLERR)) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) {
        got.bytes.append(buf, static_cast<size_t>(n));
        got.trace += fmt::format(" recv {}", n);
      } else if (n == 0) {
        got.closed = true;
        got.trace += " eof";
      } else if (errno != EAGAIN && errno != EINTR) {
        got.closed = got.reset = true;
        got.trace += fmt::format(" recv error {}", std::strerror(errno));
      }
    }
    if (p.revents & POLLOUT && writable && piece < pieces.size()) {
      std::string_view rest = pieces[piece].substr(offset);
      ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n >= 0) {
        got.trace += fmt::format(" sent {}", n);
        offset += static_cast<size_t>(n);
        if (offset == pieces[piece].size()) ++piece, offset = 0;
      } else if (errno != EAGAIN && errno != EINTR) {
        // The server closed after a dropped query; a reset seen here may
        // have discarded answers in flight just as one seen by recv.
        writable = false;
        if (errno == ECONNRESET) got.reset = true;
        got.trace += fmt::format(" send error {}", std::strerror(errno));
      }
    }
    if (!want.closes && got.bytes.size() >= want.bytes.size() && piece == pieces.size()) break;
  }
  return got;
}

}  // namespace
}  // namespace ecssd::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  using namespace ecssd;
  fuzz::quiet();
  fuzz::g_zone = fuzz::fuzz_zone(/*rotation=*/false);
  fuzz::g_io = new boost::asio::io_context;  // lives as long as the process: libFuzzer exits without unwinding
  dns::ResponderOptions o;
  o.listen = "127.0.0.1:0";
  o.threads = 1;
  o.time = new common::RealTimeSystem;  // as long as the responder
  fuzz::g_responder = new dns::Responder(*fuzz::g_io, o);
  auto s = fuzz::g_responder->start();
  FUZZ_CHECK(s.ok(), s.error().message);
  fuzz::g_responder->publish(fuzz::g_zone);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ecssd;
  std::string_view stream = fuzz::as_text(data, size);
  fuzz::Expected want = fuzz::expected_answers(stream);
  int fd = fuzz::connect_to(fuzz::g_responder->port());
  fuzz::Received got = fuzz::exchange(fd, fuzz::cut(stream, fuzz::hash(stream)), want);
  ::close(fd);  // SO_LINGER 0: a reset
  if (got.reset) {
    // A server that closes with our bytes unread resets, and a reset may
    // discard answers in flight: what arrived must still be a prefix.
    FUZZ_CHECK(want.bytes.compare(0, got.bytes.size(), got.bytes) == 0 && got.bytes.size() <= want.bytes.size(),
               fmt::format("answers differ (reset after {} of {} octets)", got.bytes.size(), want.bytes.size()));
    FUZZ_CHECK(want.closes, "the server reset a connection it should have kept");
    return 0;
  }
  FUZZ_CHECK(got.bytes == want.bytes, fmt::format("got {} octets, expected {}:\n  got  {}\n  want {}\n {}",
                                                  got.bytes.size(), want.bytes.size(), fuzz::hex(got.bytes),
                                                  fuzz::hex(want.bytes), got.trace));
  FUZZ_CHECK(got.closed == want.closes, fmt::format("closed={} expected {}", got.closed, want.closes));
  return 0;
}
