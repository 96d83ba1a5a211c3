#include "unit/dns/socket_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>

namespace ecssd::dns::testing {
namespace {

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

void set_timeout(int fd, int ms = 2000) {
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

}  // namespace

std::optional<std::string> udp_exchange(uint16_t port, const std::string& query, int timeout_ms) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return std::nullopt;
  set_timeout(fd, timeout_ms);
  sockaddr_in a = loopback(port);
  std::optional<std::string> out;
  if (::sendto(fd, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) ==
      static_cast<ssize_t>(query.size())) {
    std::string buf(65535, '\0');
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n >= 0) {
      buf.resize(static_cast<size_t>(n));
      out = std::move(buf);
    }
  }
  ::close(fd);
  return out;
}

TcpClient::TcpClient(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  set_timeout(fd_);
  sockaddr_in a = loopback(port);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

TcpClient::~TcpClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool TcpClient::send_raw(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool TcpClient::send(const std::string& message) {
  std::string framed;
  framed += static_cast<char>(message.size() >> 8);
  framed += static_cast<char>(message.size() & 0xff);
  return send_raw(framed + message);
}

bool TcpClient::read_exactly(char* out, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t got = ::recv(fd_, out + done, n - done, 0);
    if (got <= 0) return false;
    done += static_cast<size_t>(got);
  }
  return true;
}

std::optional<std::string> TcpClient::receive() {
  unsigned char prefix[2];
  if (!read_exactly(reinterpret_cast<char*>(prefix), 2)) return std::nullopt;
  std::string msg((size_t{prefix[0]} << 8) | prefix[1], '\0');
  if (!read_exactly(msg.data(), msg.size())) return std::nullopt;
  return msg;
}

bool TcpClient::closed_by_server() {
  char c;
  ssize_t n = ::recv(fd_, &c, 1, 0);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

PolledTcpClient::PolledTcpClient(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  sockaddr_in a = loopback(port);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

PolledTcpClient::~PolledTcpClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool PolledTcpClient::send_raw(const std::string& bytes) {
  ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  return n == static_cast<ssize_t>(bytes.size());
}

bool PolledTcpClient::send(const std::string& message) {
  std::string framed;
  framed += static_cast<char>(message.size() >> 8);
  framed += static_cast<char>(message.size() & 0xff);
  return send_raw(framed + message);
}

void PolledTcpClient::drain() {
  char buf[4096];
  while (!eof_) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) eof_ = true;
    if (n < 0 && errno == EINTR) continue;
    return;
  }
}

bool PolledTcpClient::closed() {
  drain();
  return eof_;
}

std::optional<std::string> PolledTcpClient::take_message() {
  drain();
  if (in_.size() < 2) return std::nullopt;
  size_t len = (size_t{static_cast<unsigned char>(in_[0])} << 8) | static_cast<unsigned char>(in_[1]);
  if (in_.size() < 2 + len) return std::nullopt;
  std::string msg = in_.substr(2, len);
  in_.erase(0, 2 + len);
  return msg;
}

}  // namespace ecssd::dns::testing
