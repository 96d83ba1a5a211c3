// The responder on real loopback sockets (ephemeral ports): UDP and TCP,
// snapshot swaps under load, binding errors, the connection limit across
// threads (the limits in detail: responder_limits_test.cc).
#include "common/time_system.h"
#include "dns/responder.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "dns/zone.h"
#include "unit/dns/dns_test_util.h"
#include "unit/dns/socket_client.h"

namespace ecssd::dns {
namespace {

using testing::make_query;
using testing::parse_response;
using testing::QuerySpec;
using testing::TcpClient;
using testing::udp_exchange;

model::Record rec(std::string name, model::RecordType type, std::vector<std::string> values) {
  model::Record r;
  r.name = std::move(name);
  r.type = type;
  r.ttl = 10;
  r.values = std::move(values);
  return r;
}

std::shared_ptr<const ZoneSnapshot> zone_with(std::string address, uint32_t serial = 1) {
  ZoneOptions o;
  o.zone = "svc.test";
  std::vector<model::Record> rs{rec("web.svc.test", model::RecordType::kA, {std::move(address)})};
  model::Record big = rec("big.svc.test", model::RecordType::kA, {});
  for (int i = 0; i < 120; ++i) big.values.push_back("10.3.0." + std::to_string(i));
  rs.push_back(big);
  auto z = build_zone(o, rs, serial);
  EXPECT_TRUE(z.ok()) << z.error().describe();
  return z.value();
}

// The responders here run on real threads (their own, or one serving the
// io_context): their timers (idle deadlines, log limiters) need a
// thread-safe time system. No test waits on it; the limits are tested on
// simulated time in responder_limits_test.cc.
common::RealTimeSystem kTime;

ResponderOptions local(unsigned threads) {
  ResponderOptions o;
  o.listen = "127.0.0.1:0";
  o.threads = threads;
  o.time = &kTime;
  return o;
}

class ResponderTest : public ::testing::TestWithParam<unsigned> {
 protected:
  void SetUp() override {
    responder_ = std::make_unique<Responder>(io_, local(GetParam()));
    auto s = responder_->start();
    ASSERT_TRUE(s.ok()) << s.error().describe();
    ASSERT_NE(responder_->port(), 0);
    if (GetParam() == 0) io_thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (GetParam() == 0) {
      boost::asio::post(io_, [this] { responder_->stop(); });
      io_thread_.join();
    }
    responder_.reset();
  }

  boost::asio::io_context io_;
  std::unique_ptr<Responder> responder_;
  std::thread io_thread_;
};

TEST_P(ResponderTest, ServfailUntilPublishedThenAnswersOverUdp) {
  auto before = udp_exchange(responder_->port(), make_query("web.svc.test", KNOT_RRTYPE_A));
  ASSERT_TRUE(before);
  EXPECT_EQ(parse_response(*before).rcode, KNOT_RCODE_SERVFAIL);

  responder_->publish(zone_with("10.0.0.1"));
  auto after = udp_exchange(responder_->port(), make_query("web.svc.test", KNOT_RRTYPE_A));
  ASSERT_TRUE(after);
  auto r = parse_response(*after);
  EXPECT_EQ(r.rcode, KNOT_RCODE_NOERROR);
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(r.answer[0].data, "10.0.0.1");

  responder_->publish(zone_with("10.0.0.2", 2));
  auto swapped = udp_exchange(responder_->port(), make_query("web.svc.test", KNOT_RRTYPE_A));
  ASSERT_TRUE(swapped);
  EXPECT_EQ(parse_response(*swapped).answer.at(0).data, "10.0.0.2");
  EXPECT_EQ(responder_->snapshot()->serial(), 2u);

  auto stats = responder_->stats();
  EXPECT_EQ(stats.udp_queries, 3u);
}

TEST_P(ResponderTest, TruncatedOverUdpCompleteOverTcp) {
  responder_->publish(zone_with("10.0.0.1"));
  auto udp = udp_exchange(responder_->port(), make_query("big.svc.test", KNOT_RRTYPE_A));
  ASSERT_TRUE(udp);
  EXPECT_TRUE(parse_response(*udp).tc);

  TcpClient tcp(responder_->port());
  ASSERT_TRUE(tcp.connected());
  ASSERT_TRUE(tcp.send(make_query("big.svc.test", KNOT_RRTYPE_A)));
  auto full = tcp.receive();
  ASSERT_TRUE(full);
  auto r = parse_response(*full);
  EXPECT_FALSE(r.tc);
  EXPECT_EQ(r.answer.size(), 120u);
  EXPECT_EQ(responder_->stats().truncated, 1u);
}

TEST_P(ResponderTest, TcpPipelinedQueriesGetAnswersInOrder) {
  responder_->publish(zone_with("10.0.0.1"));
  TcpClient tcp(responder_->port());
  ASSERT_TRUE(tcp.connected());
  QuerySpec a;
  a.name = "web.svc.test";
  a.id = 1;
  QuerySpec b = a;
  b.name = "nope.svc.test";
  b.id = 2;
  std::string both;
  for (const auto& q : {make_query(a), make_query(b)}) {
    both += static_cast<char>(q.size() >> 8);
    both += static_cast<char>(q.size() & 0xff);
    both += q;
  }
  ASSERT_TRUE(tcp.send_raw(both));
  auto first = tcp.receive();
  auto second = tcp.receive();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(parse_response(*first).id, 1);
  EXPECT_EQ(parse_response(*second).id, 2);
  EXPECT_EQ(parse_response(*second).rcode, KNOT_RCODE_NXDOMAIN);
}

TEST_P(ResponderTest, TcpGarbageClosesTheConnectionAndTheServerGoesOn) {
  responder_->publish(zone_with("10.0.0.1"));
  {
    TcpClient tcp(responder_->port());
    ASSERT_TRUE(tcp.send(std::string("\x01\x02\x03", 3)));  // shorter than a header: dropped
    EXPECT_TRUE(tcp.closed_by_server());
  }
  {
    TcpClient tcp(responder_->port());
    std::string q = make_query("web.svc.test", KNOT_RRTYPE_A);
    q[5] = 2;  // QDCOUNT 2: FORMERR, and the connection stays usable
    ASSERT_TRUE(tcp.send(q));
    auto r = tcp.receive();
    ASSERT_TRUE(r);
    EXPECT_EQ(static_cast<uint8_t>((*r)[3]) & 0x0f, KNOT_RCODE_FORMERR);
    ASSERT_TRUE(tcp.send(make_query("web.svc.test", KNOT_RRTYPE_A)));
    EXPECT_TRUE(tcp.receive());
  }
  auto udp = udp_exchange(responder_->port(), std::string(5, 'x'), 200);
  EXPECT_FALSE(udp);  // dropped, no reply
  auto ok = udp_exchange(responder_->port(), make_query("web.svc.test", KNOT_RRTYPE_A));
  ASSERT_TRUE(ok);
  EXPECT_EQ(parse_response(*ok).rcode, KNOT_RCODE_NOERROR);
  auto stats = responder_->stats();
  EXPECT_GE(stats.dropped, 2u);
  EXPECT_EQ(stats.formerr, 1u);
}

TEST_P(ResponderTest, PublishingUnderLoadNeverBreaksAnAnswer) {
  auto one = zone_with("10.0.0.1", 1);
  auto two = zone_with("10.0.0.2", 2);
  responder_->publish(one);
  std::atomic<bool> done{false};
  std::atomic<int> bad{0}, good{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 2; ++c) {
    clients.emplace_back([&, port = responder_->port()] {
      while (!done) {
        auto reply = udp_exchange(port, make_query("web.svc.test", KNOT_RRTYPE_A));
        if (!reply) continue;  // a lost datagram is allowed; a wrong one is not
        auto r = parse_response(*reply);
        if (r.rcode == KNOT_RCODE_NOERROR && r.answer.size() == 1 &&
            (r.answer[0].data == "10.0.0.1" || r.answer[0].data == "10.0.0.2")) {
          ++good;
        } else {
          ++bad;
        }
      }
    });
  }
  for (int i = 0; i < 2000; ++i) {
    // Fresh snapshots too, so that old ones are freed while queries run.
    responder_->publish(i % 3 == 0 ? zone_with("10.0.0.1", i) : (i % 2 ? one : two));
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (good < 200 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  done = true;
  for (auto& t : clients) t.join();
  EXPECT_GE(good, 200);
  EXPECT_EQ(bad, 0);
}

TEST_P(ResponderTest, OldSnapshotsAreReleasedEvenWhenIdle) {
  auto one = zone_with("10.0.0.1", 1);
  responder_->publish(one);
  ASSERT_TRUE(udp_exchange(responder_->port(), make_query("web.svc.test", KNOT_RRTYPE_A)));  // a worker holds `one`
  responder_->publish(zone_with("10.0.0.2", 2));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (one.use_count() > 1 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(one.use_count(), 1);
}

INSTANTIATE_TEST_SUITE_P(Threads, ResponderTest, ::testing::Values(0u, 1u, 3u));

TEST(ResponderBindTest, ReportsAPortThatIsTaken) {
  boost::asio::io_context io;
  Responder first(io, local(2));
  ASSERT_TRUE(first.start().ok());
  for (unsigned threads : {0u, 1u, 2u}) {
    ResponderOptions o = local(threads);
    o.listen = first.endpoint();
    Responder second(io, o);
    auto s = second.start();
    ASSERT_FALSE(s.ok()) << threads;
    EXPECT_EQ(s.error().code, common::ErrorCode::kUnavailable);
    EXPECT_NE(s.error().message.find(first.endpoint()), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().message.find("in use"), std::string::npos) << s.error().message;
  }
}

TEST(ResponderBindTest, ReportsAUdpPortHeldByAnotherSocket) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  boost::asio::io_context io;
  for (unsigned threads : {1u, 4u}) {
    ResponderOptions o = local(threads);
    o.listen = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    Responder r(io, o);
    auto s = r.start();
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("/udp"), std::string::npos) << s.error().message;
  }
  ::close(fd);
}

TEST(ResponderBindTest, BadOptions) {
  boost::asio::io_context io;
  ResponderOptions o = local(1);
  o.listen = "localhost:53";
  EXPECT_EQ(Responder(io, o).start().error().code, common::ErrorCode::kInvalidArgument);
  ResponderOptions untimed = local(1);
  untimed.time = nullptr;  // given explicitly, never a default
  auto s = Responder(io, untimed).start();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, common::ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().message.find("time system"), std::string::npos) << s.error().message;
  Responder twice(io, local(1));
  ASSERT_TRUE(twice.start().ok());
  EXPECT_FALSE(twice.start().ok());
}

TEST(ResponderTcpTest, ConnectionsOverTheLimitAreClosed) {
  boost::asio::io_context io;
  ResponderOptions o = local(1);
  o.max_tcp_connections = 1;
  Responder r(io, o);
  ASSERT_TRUE(r.start().ok());
  r.publish(zone_with("10.0.0.1"));
  TcpClient first(r.port());
  ASSERT_TRUE(first.send(make_query("web.svc.test", KNOT_RRTYPE_A)));
  ASSERT_TRUE(first.receive());  // the first connection is established and served
  TcpClient second(r.port());
  EXPECT_TRUE(second.closed_by_server());
  EXPECT_EQ(r.stats().tcp_rejected, 1u);
}

TEST(ResponderTcpTest, StopsWithOpenConnections) {
  boost::asio::io_context io;
  auto r = std::make_unique<Responder>(io, local(2));
  ASSERT_TRUE(r->start().ok());
  uint16_t port = r->port();
  TcpClient open(port);
  ASSERT_TRUE(open.send(make_query("web.svc.test", KNOT_RRTYPE_A)));
  ASSERT_TRUE(open.receive());  // SERVFAIL: nothing published, but the session is up
  r.reset();
  EXPECT_TRUE(open.closed_by_server());
  EXPECT_FALSE(udp_exchange(port, make_query("web.svc.test", KNOT_RRTYPE_A), 200));
}

}  // namespace
}  // namespace ecssd::dns
