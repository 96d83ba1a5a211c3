// The real probe against servers this test runs on 127.0.0.1 (on their own
// event loop thread, so the probe's loop runs only the probe): a listener, a
// port that refuses, HTTP servers answering a given status, and one that
// accepts and never answers.
#include "health/probe.h"

#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "fakes/run_sync.h"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // g++ 12 false positive (GCC bug 109224)

namespace ecssd::health {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

struct Seen {
  std::mutex mu;
  std::string request;
  int connections = 0;
  std::string get_request() {
    std::lock_guard<std::mutex> lock(mu);
    return request;
  }
  int get_connections() {
    std::lock_guard<std::mutex> lock(mu);
    return connections;
  }
};

// Accepts connections; answers each with `status` (0: never answers, holds the connection).
net::awaitable<void> serve(tcp::acceptor* acceptor, int status, Seen* seen) {
  while (true) {
    std::tuple<boost::system::error_code, tcp::socket> accepted = co_await acceptor->async_accept(kTuple);
    if (std::get<0>(accepted)) co_return;
    tcp::socket socket = std::move(std::get<1>(accepted));
    {
      std::lock_guard<std::mutex> lock(seen->mu);
      ++seen->connections;
    }
    std::string buffer;
    std::tuple<boost::system::error_code, std::size_t> read =
        co_await net::async_read_until(socket, net::dynamic_buffer(buffer), "\r\n\r\n", kTuple);
    if (std::get<0>(read)) continue;
    {
      std::lock_guard<std::mutex> lock(seen->mu);
      seen->request = buffer;
    }
    if (status == 0) {
      // Hold the connection until the client gives up.
      std::tuple<boost::system::error_code, std::size_t> rest =
          co_await net::async_read_until(socket, net::dynamic_buffer(buffer), "never", kTuple);
      (void)rest;
      continue;
    }
    std::string answer = "HTTP/1.1 " + std::to_string(status) + " Whatever\r\nContent-Length: 5\r\n\r\nhello";
    std::tuple<boost::system::error_code, std::size_t> written = co_await net::async_write(socket, net::buffer(answer), kTuple);
    (void)written;
  }
}

class ProbeTest : public ::testing::Test {
 protected:
  // A server on the servers' thread; it lives until the fixture ends.
  struct Server {
    explicit Server(net::io_context& io) : acceptor(io) {}
    tcp::acceptor acceptor;
    Seen seen;
    uint16_t port = 0;
  };

  ProbeTest() : work_(net::make_work_guard(server_io_)), server_thread_([this] { server_io_.run(); }) {}
  ~ProbeTest() override {
    // Stop the servers' loop first: their coroutines point at servers_.
    work_.reset();
    server_io_.stop();
    server_thread_.join();
    servers_.clear();
  }

  // listen = false: bound but not listening (connections are refused).
  // status < 0: listening, never accepting; 0: accepts, never answers; else the HTTP status.
  Server& server(bool listen, int status = -1) {
    servers_.push_back(std::make_unique<Server>(server_io_));
    Server& s = *servers_.back();
    s.acceptor.open(tcp::v4());
    s.acceptor.bind(tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    if (listen) s.acceptor.listen();
    s.port = s.acceptor.local_endpoint().port();
    if (listen && status >= 0) net::co_spawn(server_io_, serve(&s.acceptor, status, &s.seen), net::detached);
    return s;
  }

  CheckSpec spec(uint16_t port, CheckKind kind = CheckKind::kTcp) {
    CheckSpec s;
    s.kind = kind;
    s.address = "127.0.0.1";
    s.port = port;
    s.timeout = 300ms;
    return s;
  }
  ProbeResult check(CheckSpec s) { return ecssd::testing::run_sync(io_, probe_.check(std::move(s))); }

  net::io_context io_;  // the probe's
  NetworkProbe probe_;
  net::io_context server_io_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::thread server_thread_;
  std::vector<std::unique_ptr<Server>> servers_;
};

TEST_F(ProbeTest, TcpConnectToAListenerIsHealthy) {
  auto& s = server(true);
  auto r = check(spec(s.port));
  EXPECT_TRUE(r.healthy);
  EXPECT_EQ(r.outcome, Outcome::kPass);
  EXPECT_EQ(r.detail, "connected");
}

TEST_F(ProbeTest, TcpConnectToAClosedPortIsRefused) {
  auto& s = server(false);  // the port is ours and answers with a reset
  auto r = check(spec(s.port));
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.outcome, Outcome::kRefused);
  EXPECT_EQ(r.detail, "connection refused");
}

TEST_F(ProbeTest, HttpStatusesFollowTheRule) {
  struct Case {
    int status;
    std::optional<StatusRule> rule;
    bool healthy;
    std::string detail;
  };
  std::vector<Case> cases = {
      {200, std::nullopt, true, "HTTP 200"},
      {302, std::nullopt, true, "HTTP 302"},
      {404, std::nullopt, false, "HTTP 404 (expected 2xx/3xx)"},
      {503, std::nullopt, false, "HTTP 503 (expected 2xx/3xx)"},
      {204, StatusRule{200, 200}, false, "HTTP 204 (expected 200)"},
      {418, StatusRule{400, 499}, true, "HTTP 418"},
  };
  for (const auto& c : cases) {
    auto& s = server(true, c.status);
    CheckSpec sp = spec(s.port, CheckKind::kHttp);
    sp.http_path = "/health?deep=1";
    if (c.rule) sp.status = *c.rule;
    auto r = check(sp);
    EXPECT_EQ(r.healthy, c.healthy) << c.status;
    EXPECT_EQ(r.outcome, c.healthy ? Outcome::kPass : Outcome::kStatus) << c.status;
    EXPECT_EQ(r.detail, c.detail);
    std::string request = s.seen.get_request();
    EXPECT_EQ(request.rfind("GET /health?deep=1 HTTP/1.1\r\n", 0), 0u) << request;
    EXPECT_NE(request.find("Host: 127.0.0.1:" + std::to_string(s.port)), std::string::npos) << request;
  }
}

TEST_F(ProbeTest, AServerThatNeverAnswersTimesOutWithinTheDeadline) {
  auto& s = server(true, 0);
  auto start = std::chrono::steady_clock::now();
  auto r = check(spec(s.port, CheckKind::kHttp));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.outcome, Outcome::kTimeout);
  EXPECT_EQ(to_string(r.outcome), "timeout");
  EXPECT_EQ(r.detail, "timed out after 300ms");
  EXPECT_GE(took, 290ms);
  EXPECT_LT(took, 2s);
  EXPECT_EQ(s.seen.get_connections(), 1);
}

TEST_F(ProbeTest, AListenerThatNeverAcceptsTimesOutOnHttp) {
  // The kernel completes the handshake; nobody reads the request.
  auto& s = server(true, -1);
  auto r = check(spec(s.port, CheckKind::kHttp));
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.detail, "timed out after 300ms");
}

TEST_F(ProbeTest, ManyChecksRunConcurrentlyOnOneThread) {
  auto& s = server(true, 0);
  // 50 silent targets with a 300 ms deadline each take about 300 ms together, not 15 s.
  int done = 0, healthy = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    net::co_spawn(io_, probe_.check(spec(s.port, CheckKind::kHttp)), [&](std::exception_ptr, ProbeResult r) {
      ++done;
      healthy += r.healthy;
    });
  }
  while (done < 50) io_.run_one();
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(healthy, 0);
  EXPECT_LT(took, 3s);
}

}  // namespace
}  // namespace ecssd::health
