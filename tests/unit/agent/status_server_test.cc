#include "agent/status_server.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/metrics.h"

namespace ecssd::agent {
namespace {

namespace asio = boost::asio;

// A blocking client on its own thread while the server's io_context runs.
std::string get(uint16_t port, const std::string& request) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(s, asio::buffer(request));
  std::string out;
  boost::system::error_code ec;
  char buf[4096];
  for (;;) {
    size_t n = s.read_some(asio::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;
  }
  return out;
}

class StatusServerTest : public ::testing::Test {
 protected:
  asio::io_context io_;
  Readiness readiness_{false, "docker engine not listed yet"};
  StatusServer server_{io_, [this] { return readiness_; }};
};

TEST_F(StatusServerTest, ServesMetricsHealthAndReadiness) {
  ASSERT_TRUE(server_.start("127.0.0.1:0").ok());
  ASSERT_NE(server_.port(), 0);
  common::Metrics::global().counter("ecssd_test_total", "Test").inc(7);

  auto run = [&](const std::string& path, const std::string& method = "GET") {
    std::string response;
    std::atomic<bool> finished{false};
    std::thread client([&] {
      response = get(server_.port(), method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      finished = true;
    });
    while (!finished) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(5));
    }
    client.join();
    return response;
  };
  std::string m = run("/metrics");
  EXPECT_NE(m.find("HTTP/1.1 200 OK"), std::string::npos);
  EXPECT_NE(m.find("text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(m.find("ecssd_test_total 7"), std::string::npos);

  EXPECT_NE(run("/healthz").find("200 OK"), std::string::npos);
  std::string not_ready = run("/readyz");
  EXPECT_NE(not_ready.find("503"), std::string::npos);
  EXPECT_NE(not_ready.find("docker engine not listed yet"), std::string::npos);
  readiness_ = {true, ""};
  EXPECT_NE(run("/readyz").find("200 OK"), std::string::npos);
  EXPECT_NE(run("/nope").find("404"), std::string::npos);
  EXPECT_NE(run("/metrics", "POST").find("405"), std::string::npos);
  server_.stop();
}

TEST(StatusServerEndpoint, ParsesAddresses) {
  EXPECT_EQ(parse_tcp_endpoint("127.0.0.1:9253")->port(), 9253);
  EXPECT_TRUE(parse_tcp_endpoint("[::1]:80")->address().is_v6());
  EXPECT_TRUE(parse_tcp_endpoint(":80")->address().is_unspecified());
  EXPECT_FALSE(parse_tcp_endpoint("localhost:80").ok());
  EXPECT_FALSE(parse_tcp_endpoint("1.2.3.4").ok());
  EXPECT_FALSE(parse_tcp_endpoint("1.2.3.4:99999").ok());
}

TEST(StatusServerEndpoint, PortInUseIsAClearError) {
  asio::io_context io;
  StatusServer a(io, [] { return Readiness{}; });
  ASSERT_TRUE(a.start("127.0.0.1:0").ok());
  StatusServer b(io, [] { return Readiness{}; });
  auto s = b.start("127.0.0.1:" + std::to_string(a.port()));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("cannot listen"), std::string::npos);
}

}  // namespace
}  // namespace ecssd::agent
