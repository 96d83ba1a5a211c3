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
  common::Metrics metrics_;
  Readiness readiness_{false, "docker engine not listed yet"};
  StatusServer server_{io_, metrics_, [this] { return readiness_; }};
};

TEST_F(StatusServerTest, ServesMetricsHealthAndReadiness) {
  ASSERT_TRUE(server_.start("127.0.0.1:0").ok());
  ASSERT_NE(server_.port(), 0);
  metrics_.counter("ecssd_test_total", "Test").inc(7);  // the registry it was given

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

TEST_F(StatusServerTest, ServesThePageAndItsDocuments) {
  size_t asked_limit = 0;
  add_page_routes(
      server_, [] { return boost::json::value(boost::json::object{{"kind", "agent"}}); },
      [&](size_t limit) {
        asked_limit = limit;
        return boost::json::value(boost::json::object{{"events", boost::json::array{}}});
      });
  ASSERT_TRUE(server_.start("127.0.0.1:0").ok());
  auto run = [&](const std::string& path) {
    std::string response;
    std::atomic<bool> finished{false};
    std::thread client([&] {
      response = get(server_.port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      finished = true;
    });
    while (!finished) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(5));
    }
    client.join();
    return response;
  };
  std::string page = run("/");
  EXPECT_NE(page.find("200 OK"), std::string::npos);
  EXPECT_NE(page.find("text/html; charset=utf-8"), std::string::npos);
  EXPECT_NE(page.find("<!doctype html>"), std::string::npos);
  // Self-contained: nothing is fetched from anywhere but this server.
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_EQ(page.find("src="), std::string::npos);
  std::string services = run("/v1/services");
  EXPECT_NE(services.find("application/json"), std::string::npos);
  EXPECT_NE(services.find("no-store"), std::string::npos);
  EXPECT_NE(services.find("{\"kind\":\"agent\"}"), std::string::npos);
  run("/v1/events?limit=60");
  EXPECT_EQ(asked_limit, 60u);
  run("/v1/events?limit=100000");
  EXPECT_EQ(asked_limit, 200u);
  server_.stop();
}

TEST(StatusServerQuery, ReadsOneValue) {
  EXPECT_EQ(query_value("a=1&limit=60", "limit"), "60");
  EXPECT_EQ(query_value("limit=5", "limit"), "5");
  EXPECT_EQ(query_value("a=1", "limit"), "");
  EXPECT_EQ(query_value("", "limit"), "");
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
  common::Metrics metrics;
  StatusServer a(io, metrics, [] { return Readiness{}; });
  ASSERT_TRUE(a.start("127.0.0.1:0").ok());
  StatusServer b(io, metrics, [] { return Readiness{}; });
  auto s = b.start("127.0.0.1:" + std::to_string(a.port()));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("cannot listen"), std::string::npos);
}

}  // namespace
}  // namespace ecssd::agent
