// The AXFR client against the real responder on an ephemeral port, and
// against small misbehaving servers.
#include "common/time_system.h"
#include "dns/axfr_client.h"

#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "dns/responder.h"
#include "dns/zone.h"
#include "model/rdata.h"
#include "unit/dns/dns_test_util.h"

namespace ecssd::dns {
namespace {

using model::Record;
using model::RecordType;
namespace asio = boost::asio;

Record rec(std::string name, RecordType type, std::vector<std::string> values, std::string set = "",
           uint32_t ttl = 10) {
  Record r;
  r.name = std::move(name);
  r.type = type;
  r.ttl = ttl;
  r.values = std::move(values);
  r.set_identifier = std::move(set);
  return r;
}

asio::awaitable<void> run_into(AxfrOptions o, std::optional<common::Result<AxfrResult>>* out) {
  out->emplace(co_await axfr(std::move(o)));
}

common::Result<AxfrResult> run_axfr(AxfrOptions o) {
  asio::io_context io;
  std::optional<common::Result<AxfrResult>> out;
  asio::co_spawn(io, run_into(std::move(o), &out), asio::detached);
  io.run();
  return std::move(out).value();
}

class AxfrClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ResponderOptions o;
    o.listen = "127.0.0.1:0";
    o.time = &time_;
    responder_ = std::make_unique<Responder>(io_, o);
    ASSERT_TRUE(responder_->start().ok());
  }
  AxfrOptions options(std::string zone = "svc.test") {
    AxfrOptions o;
    o.server = responder_->endpoint();
    o.zone = std::move(zone);
    return o;
  }
  common::RealTimeSystem time_;  // the responder's own thread makes its timers
  asio::io_context io_;
  std::unique_ptr<Responder> responder_;
};

TEST_F(AxfrClientTest, ListsTheZoneAsRrsets) {
  ZoneOptions zo;
  zo.zone = "svc.test";
  std::string companion = model::txt_encode({"heritage=ecssd", "set=ecssd:h1:abc:80-tcp", "value=host1.svc.test"});
  auto z = build_zone(zo,
                      {rec("web.svc.test", RecordType::kCNAME, {"host1.svc.test"}, "a"),
                       rec("web.svc.test", RecordType::kCNAME, {"host2.svc.test"}, "b"),
                       rec("host1.svc.test", RecordType::kA, {"10.0.0.1"}, "", 30),
                       rec("host1.svc.test", RecordType::kAAAA, {"FD00::1"}),
                       rec("api.svc.test", RecordType::kA, {"10.0.0.3"}, "x"),
                       rec("api.svc.test", RecordType::kA, {"10.0.0.4", "10.0.0.3"}, "y"),
                       rec("_calc._tcp.svc.test", RecordType::kSRV, {"1 1 18081 Host1.svc.test."}),
                       rec("cname._ecssd.web.svc.test", RecordType::kTXT, {companion}, "a")},
                      77);
  ASSERT_TRUE(z.ok()) << z.error().describe();
  responder_->publish(*z);

  auto r = run_axfr(options("SVC.test."));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->serial, 77u);
  EXPECT_EQ(r->skipped, 0u);
  EXPECT_EQ(r->messages, 1u);
  std::map<model::RecordKey, Record> by_key;
  for (const auto& rr : r->records) {
    EXPECT_TRUE(rr.set_identifier.empty());
    EXPECT_TRUE(by_key.emplace(model::key_of(rr), rr).second) << "one record per name and type";
  }
  auto get = [&](std::string name, RecordType t) { return by_key.at(model::RecordKey{std::move(name), t, {}}); };
  EXPECT_EQ(get("svc.test", RecordType::kSOA).values,
            std::vector<std::string>{"ns.svc.test hostmaster.svc.test 77 3600 600 86400 5"});
  EXPECT_EQ(get("svc.test", RecordType::kNS).values, std::vector<std::string>{"ns.svc.test"});
  auto web = get("web.svc.test", RecordType::kCNAME).values;
  std::sort(web.begin(), web.end());
  EXPECT_EQ(web, (std::vector<std::string>{"host1.svc.test", "host2.svc.test"}));
  EXPECT_EQ(get("host1.svc.test", RecordType::kA).ttl, 30u);
  EXPECT_EQ(get("host1.svc.test", RecordType::kAAAA).values, std::vector<std::string>{"fd00::1"});
  auto api = get("api.svc.test", RecordType::kA).values;
  std::sort(api.begin(), api.end());
  EXPECT_EQ(api, (std::vector<std::string>{"10.0.0.3", "10.0.0.4"}));
  EXPECT_EQ(get("_calc._tcp.svc.test", RecordType::kSRV).values, std::vector<std::string>{"1 1 18081 host1.svc.test"});
  // The companion TXT comes back byte for byte, so the registry can match it.
  EXPECT_EQ(get("cname._ecssd.web.svc.test", RecordType::kTXT).values, std::vector<std::string>{companion});
  EXPECT_EQ(r->records.size(), 8u);
}

TEST_F(AxfrClientTest, LargeZonesOverSeveralMessages) {
  ZoneOptions zo;
  zo.zone = "svc.test";
  std::vector<Record> rs;
  for (int i = 0; i < 2000; ++i) {
    rs.push_back(rec("n" + std::to_string(i) + ".svc.test", RecordType::kTXT, {"\"" + std::string(60, 'v') + "\""}));
  }
  responder_->publish(build_zone(zo, rs, 1).value());
  auto r = run_axfr(options());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_GT(r->messages, 1u);
  EXPECT_EQ(r->records.size(), 2002u);

  AxfrOptions small = options();
  small.max_bytes = 10000;
  auto too_big = run_axfr(small);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().code, common::ErrorCode::kTooLarge);
  small = options();
  small.max_records = 100;
  EXPECT_EQ(run_axfr(small).error().code, common::ErrorCode::kTooLarge);
}

TEST_F(AxfrClientTest, RefusalsBecomeClearErrors) {
  ZoneOptions zo;
  zo.zone = "svc.test";
  responder_->publish(build_zone(zo, {rec("web.svc.test", RecordType::kA, {"10.0.0.1"})}, 1).value());
  auto outside = run_axfr(options("other.test"));
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error().code, common::ErrorCode::kPermissionDenied);
  EXPECT_NE(outside.error().message.find("REFUSED"), std::string::npos) << outside.error().message;
  auto below = run_axfr(options("web.svc.test"));
  ASSERT_FALSE(below.ok());
  EXPECT_EQ(below.error().code, common::ErrorCode::kPermissionDenied);
  EXPECT_NE(below.error().message.find("NOTAUTH"), std::string::npos) << below.error().message;
  EXPECT_FALSE(run_axfr(options("bad..zone")).ok());
  AxfrOptions bad_server = options();
  bad_server.server = "nowhere";
  EXPECT_EQ(run_axfr(bad_server).error().code, common::ErrorCode::kInvalidArgument);
}

TEST_F(AxfrClientTest, ServfailBeforeAnythingIsPublishedIsTransient) {
  auto r = run_axfr(options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, common::ErrorCode::kUnavailable);
  EXPECT_TRUE(r.error().transient);
}

// A TCP server on the test's own io_context thread that runs `behaviour` on
// the first connection.
class FakeServer {
 public:
  using Behaviour = std::function<void(asio::ip::tcp::socket&)>;
  explicit FakeServer(Behaviour b) : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this, b = std::move(b)] {
      asio::ip::tcp::socket s(io_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (!ec) b(s);
    });
  }
  ~FakeServer() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    thread_.join();
  }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }

 private:
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
};

std::string read_query(asio::ip::tcp::socket& s) {
  uint8_t prefix[2];
  asio::read(s, asio::buffer(prefix));
  std::string q((size_t{prefix[0]} << 8) | prefix[1], '\0');
  asio::read(s, asio::buffer(q));
  return q;
}

TEST(AxfrClientFaultTest, TimesOutWhenTheServerSaysNothing) {
  FakeServer server([](asio::ip::tcp::socket& s) {
    char c;
    boost::system::error_code ec;
    s.read_some(asio::buffer(&c, 1), ec);  // reads the query, answers nothing, waits for the client to leave
    while (!ec) s.read_some(asio::buffer(&c, 1), ec);
  });
  AxfrOptions o;
  o.server = server.endpoint();
  o.zone = "svc.test";
  o.timeout = std::chrono::milliseconds(100);
  auto r = run_axfr(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, common::ErrorCode::kTimeout);
  EXPECT_TRUE(r.error().transient);
}

TEST(AxfrClientFaultTest, GarbageAndWrongIdsAreProtocolErrors) {
  for (int variant = 0; variant < 3; ++variant) {
    FakeServer server([variant](asio::ip::tcp::socket& s) {
      std::string q = read_query(s);
      std::string reply;
      if (variant == 0) {
        reply = std::string(30, '\x55');  // garbage
      } else {
        std::string soa_query = testing::make_query("svc.test", KNOT_RRTYPE_SOA);
        reply = soa_query;
        reply[2] = static_cast<char>(reply[2] | 0x80);
        if (variant == 1) reply[0] = static_cast<char>(q[0] ^ 0xff);  // another id
        else { reply[0] = q[0]; reply[1] = q[1]; }                    // right id, no records
      }
      std::string framed{static_cast<char>(reply.size() >> 8), static_cast<char>(reply.size() & 0xff)};
      asio::write(s, asio::buffer(framed + reply));
    });
    AxfrOptions o;
    o.server = server.endpoint();
    o.zone = "svc.test";
    auto r = run_axfr(o);
    ASSERT_FALSE(r.ok()) << variant;
    EXPECT_EQ(r.error().code, common::ErrorCode::kProtocol) << variant << ": " << r.error().message;
  }
}

TEST(AxfrClientFaultTest, ConnectionRefusedIsTransient) {
  uint16_t port;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  AxfrOptions o;
  o.server = "127.0.0.1:" + std::to_string(port);
  o.zone = "svc.test";
  auto r = run_axfr(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, common::ErrorCode::kUnavailable);
  EXPECT_TRUE(r.error().transient);
}

}  // namespace
}  // namespace ecssd::dns
