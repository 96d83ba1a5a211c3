// The responder under abuse (issue 12): the TCP connection cap, the idle
// deadline and the rate-limited log of malformed queries. The responder
// serves on the test's own io_context (threads == 0) and waits on simulated
// time, so the idle deadlines pass when the test moves time, never sooner.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "common/metrics.h"
#include "common/time_system.h"
#include "dns/responder.h"
#include "dns/zone.h"
#include "unit/dns/dns_test_util.h"
#include "unit/dns/socket_client.h"

namespace ecssd::dns {
namespace {

using namespace std::chrono_literals;
using testing::make_query;
using testing::parse_response;
using testing::PolledTcpClient;

std::shared_ptr<const ZoneSnapshot> zone() {
  ZoneOptions o;
  o.zone = "svc.test";
  model::Record r;
  r.name = "web.svc.test";
  r.type = model::RecordType::kA;
  r.ttl = 10;
  r.values = {"10.0.0.1"};
  auto z = build_zone(o, {r}, 1);
  EXPECT_TRUE(z.ok());
  return z.value();
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class ResponderLimitsTest : public ::testing::Test {
 protected:
  ResponderOptions options(size_t max_connections = 4) {
    ResponderOptions o;
    o.listen = "127.0.0.1:0";
    o.threads = 0;
    o.time = &time_;
    o.max_tcp_connections = max_connections;
    o.tcp_idle_timeout = 10s;
    o.metrics = common::Scope(metrics_);
    return o;
  }
  void start(ResponderOptions o) {
    responder_ = std::make_unique<Responder>(io_, std::move(o));
    auto s = responder_->start();
    ASSERT_TRUE(s.ok()) << s.error().describe();
    responder_->publish(zone());
  }
  // Runs the io_context until `done` holds. Loopback bytes are handed over
  // by the kernel at once; the bound only guards against a hang. Simulated
  // time does not move.
  bool pump(const std::function<bool()>& done) {
    for (int i = 0; i < 5000; ++i) {
      time_.run_for(io_, 0s);
      if (done()) return true;
      std::this_thread::yield();
    }
    return done();
  }
  // Runs what is ready now, a few times over (no condition to wait for).
  void settle() {
    for (int i = 0; i < 20; ++i) {
      time_.run_for(io_, 0s);
      std::this_thread::yield();
    }
  }
  // Moves simulated time, running what falls due.
  void pass(common::Duration d) { time_.run_for(io_, d); }
  bool answered(PolledTcpClient& c) {
    std::optional<std::string> m;
    if (!pump([&] { return (m = c.take_message()).has_value(); })) return false;
    return parse_response(*m).rcode == KNOT_RCODE_NOERROR;
  }
  std::string metric(const std::string& line_start) {
    std::string text = metrics_.render();
    size_t at = text.find("\n" + line_start + " ");
    if (at == std::string::npos) return "missing";
    size_t end = text.find('\n', at + 1);
    return text.substr(at + line_start.size() + 2, end - at - line_start.size() - 2);
  }

  common::SimulatedTimeSystem time_;  // before the io_context: the responder's timers come from it
  common::Metrics metrics_;
  boost::asio::io_context io_;
  std::unique_ptr<Responder> responder_;
};

TEST_F(ResponderLimitsTest, AtMostMaxConnectionsAndIdleOnesAreClosedAfterTheIdleTime) {
  start(options(4));
  Responder& r = *responder_;
  std::vector<std::unique_ptr<PolledTcpClient>> clients;
  for (int i = 0; i < 10; ++i) {
    clients.push_back(std::make_unique<PolledTcpClient>(r.port()));
    ASSERT_TRUE(clients.back()->connected());
  }
  ASSERT_TRUE(pump([&] { return r.stats().tcp_connections + r.stats().tcp_rejected == 10; }));
  EXPECT_EQ(r.stats().tcp_open, 4u);
  EXPECT_EQ(r.stats().tcp_rejected, 6u);
  // The listen backlog keeps the order: the first four are served, the rest closed at once.
  for (int i = 4; i < 10; ++i) EXPECT_TRUE(pump([&] { return clients[i]->closed(); })) << i;
  ASSERT_TRUE(clients[0]->send(make_query("web.svc.test", KNOT_RRTYPE_A)));
  EXPECT_TRUE(answered(*clients[0]));

  pass(9s);
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(clients[i]->closed()) << i;
  ASSERT_TRUE(clients[0]->send(make_query("web.svc.test", KNOT_RRTYPE_A)));  // a query moves its deadline
  EXPECT_TRUE(answered(*clients[0]));
  pass(1s);  // 10 s after they were accepted: the three silent ones go
  for (int i = 1; i < 4; ++i) EXPECT_TRUE(pump([&] { return clients[i]->closed(); })) << i;
  EXPECT_FALSE(clients[0]->closed());
  EXPECT_EQ(r.stats().tcp_idle_closed, 3u);
  EXPECT_EQ(r.stats().tcp_open, 1u);
  pass(9s);
  EXPECT_TRUE(pump([&] { return clients[0]->closed(); }));

  // Room again: a new connection is served.
  PolledTcpClient late(r.port());
  ASSERT_TRUE(late.send(make_query("web.svc.test", KNOT_RRTYPE_A)));
  EXPECT_TRUE(answered(late));
  EXPECT_EQ(metric("ecssd_dns_tcp_refused_total"), "6");
  EXPECT_EQ(metric("ecssd_dns_tcp_idle_closed_total"), "4");
  EXPECT_EQ(metric("ecssd_dns_tcp_connections"), "1");
}

TEST_F(ResponderLimitsTest, AClientTricklingAQueryIsClosedAfterTheIdleTime) {
  start(options());
  PolledTcpClient slow(responder_->port());
  ASSERT_TRUE(slow.send_raw(std::string("\x01\x00", 2)));  // claims 256 octets...
  for (int i = 0; i < 3; ++i) {                             // ...and sends one every 3 s
    settle();
    pass(3s);
    if (!slow.closed()) slow.send_raw("x");
  }
  EXPECT_FALSE(slow.closed());  // 9 s
  pass(1s);
  EXPECT_TRUE(pump([&] { return slow.closed(); }));  // bytes arriving do not move the deadline
  EXPECT_EQ(responder_->stats().tcp_idle_closed, 1u);
  EXPECT_EQ(responder_->stats().tcp_open, 0u);
}

TEST_F(ResponderLimitsTest, AFloodOfMalformedQueriesIsOneLineAndACountPerPeer) {
  start(options());
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(responder_->port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::testing::internal::CaptureStderr();
  for (int sent = 0; sent < 500; sent += 50) {  // in rounds: the socket's buffer holds fewer
    for (int i = 0; i < 50; ++i) ::sendto(fd, "\x01\x02\x03\x04\x05", 5, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    pump([&] { return responder_->stats().udp_queries >= static_cast<uint64_t>(sent + 50); });
  }
  // Malformed over TCP too, from 20 connections: each is closed, one line in all.
  for (int i = 0; i < 20; ++i) {
    PolledTcpClient c(responder_->port());
    ASSERT_TRUE(c.send_raw(std::string("\x00\x03\x01\x02\x03", 5)));
    EXPECT_TRUE(pump([&] { return c.closed(); }));
  }
  pass(1min);
  std::string err = ::testing::internal::GetCapturedStderr();
  ::close(fd);
  auto stats = responder_->stats();
  EXPECT_EQ(stats.udp_queries, 500u);
  EXPECT_EQ(stats.dropped, 520u);
  EXPECT_EQ(stats.malformed_logged, 2u);  // one UDP, one TCP
  EXPECT_EQ(stats.malformed_suppressed, 518u);
  EXPECT_EQ(count(err, "dns: malformed query transport="), 2u) << err;  // the count lines name it as last=
  EXPECT_EQ(count(err, "499 more malformed DNS queries from 127.0.0.1 in the last minute"), 1u) << err;
  EXPECT_EQ(count(err, "19 more malformed DNS queries over TCP from 127.0.0.1 in the last minute"), 1u) << err;
  EXPECT_EQ(count(err, "\n"), 4u) << err;  // and nothing else
  EXPECT_EQ(metric("ecssd_dns_malformed_queries_total{transport=\"udp\"}"), "500");
  EXPECT_EQ(metric("ecssd_dns_malformed_queries_total{transport=\"tcp\"}"), "20");
}

TEST_F(ResponderLimitsTest, LimitsOutOfRangeAreRefusedAtStart) {
  auto none = options(0);
  EXPECT_EQ(Responder(io_, none).start().error().code, common::ErrorCode::kInvalidArgument);
  auto zero = options();
  zero.tcp_idle_timeout = 0ms;
  EXPECT_EQ(Responder(io_, zero).start().error().code, common::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace ecssd::dns
