#pragma once
// Blocking loopback clients for the responder tests (plain POSIX sockets, so
// that the responder's sockets are checked by code that shares nothing with them).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ecssd::dns::testing {

// Sends one datagram to 127.0.0.1:port and waits up to timeout_ms for the reply.
std::optional<std::string> udp_exchange(uint16_t port, const std::string& query, int timeout_ms = 2000);

class TcpClient {
 public:
  explicit TcpClient(uint16_t port);
  ~TcpClient();
  bool connected() const { return fd_ >= 0; }
  bool send_raw(const std::string& bytes);
  bool send(const std::string& message);  // with the 2-octet length prefix
  // The next framed message; nullopt on EOF, error or a 2 s timeout.
  std::optional<std::string> receive();
  // True when the server closed or reset the connection within 2 s.
  bool closed_by_server();

 private:
  bool read_exactly(char* out, size_t n);
  int fd_ = -1;
};

// A TCP client that never blocks on reads, for tests that run the
// responder's io_context on their own thread (threads == 0, simulated time).
class PolledTcpClient {
 public:
  explicit PolledTcpClient(uint16_t port);  // connect() completes in the listen backlog
  ~PolledTcpClient();
  PolledTcpClient(const PolledTcpClient&) = delete;
  PolledTcpClient& operator=(const PolledTcpClient&) = delete;
  bool connected() const { return fd_ >= 0; }
  bool send_raw(const std::string& bytes);
  bool send(const std::string& message);  // with the 2-octet length prefix
  // The server closed or reset the connection (looked at without waiting;
  // bytes waiting are read and kept for take_message()).
  bool closed();
  // One framed message if it has arrived whole.
  std::optional<std::string> take_message();

 private:
  void drain();
  int fd_ = -1;
  bool eof_ = false;
  std::string in_;
};

}  // namespace ecssd::dns::testing
