// The SOA/AXFR/IXFR client against a scripted server on a loopback port:
// the shapes of RFC 1995 answers, fallbacks to AXFR, TSIG on every message,
// and transfers that fail part-way (the copy must not change).
#include "dns/xfr_client.h"

#include <cstdlib>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "dns/knot_util.h"

namespace ecssd::dns {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using model::RecordType;

constexpr const char* kSecret = "TrpneRf56sCXdxqVreEW2DyJGKdqDoiN0poxeyG6Q14=";

std::string soa(uint32_t serial) {
  return "ns.svc.test hostmaster.svc.test " + std::to_string(serial) + " 3600 600 86400 5";
}
Rr rr(std::string name, RecordType type, std::string value) { return Rr{std::move(name), type, 10, std::move(value)}; }
Rr soa_rr(uint32_t serial) { return Rr{"svc.test", RecordType::kSOA, 60, soa(serial)}; }

// What the scripted server received.
struct Query {
  uint16_t id = 0;
  uint16_t qtype = 0;
  std::optional<uint32_t> ixfr_serial;     // from the authority SOA
  std::vector<uint8_t> request_mac;        // when signed
};

Query parse_query(std::vector<uint8_t> wire) {
  detail::PktPtr pkt(knot_pkt_new(wire.data(), wire.size(), nullptr));
  EXPECT_EQ(knot_pkt_parse(pkt.get(), 0), KNOT_EOK);
  Query q;
  q.id = knot_wire_get_id(pkt->wire);
  q.qtype = knot_pkt_qtype(pkt.get());
  const knot_pktsection_t* auth = knot_pkt_section(pkt.get(), KNOT_AUTHORITY);
  if (auth->count > 0) q.ixfr_serial = knot_soa_serial(knot_pkt_rr(auth, 0)->rrs.rdata);
  if (pkt->tsig_rr) {
    const uint8_t* mac = knot_tsig_rdata_mac(pkt->tsig_rr);
    q.request_mac.assign(mac, mac + knot_tsig_rdata_mac_length(pkt->tsig_rr));
  }
  return q;
}

// One answer message holding `rrs` in its answer section.
std::vector<uint8_t> message(const Query& q, const std::vector<Rr>& rrs, uint16_t rcode = 0) {
  detail::PktPtr pkt(knot_pkt_new(nullptr, 65535, nullptr));
  knot_wire_set_id(pkt->wire, q.id);
  knot_wire_set_qr(pkt->wire);
  knot_wire_set_aa(pkt->wire);
  knot_wire_set_rcode(pkt->wire, static_cast<uint8_t>(rcode));
  auto zone = detail::name_to_wire("svc.test", "zone");
  EXPECT_EQ(knot_pkt_put_question(pkt.get(), detail::as_dname(*zone), KNOT_CLASS_IN, q.qtype), KNOT_EOK);
  EXPECT_EQ(knot_pkt_begin(pkt.get(), KNOT_ANSWER), KNOT_EOK);
  for (const auto& r : rrs) {
    auto owner = detail::name_to_wire(r.name, "owner");
    auto rdata = detail::rdata_to_wire(r.type, r.value);
    knot_rrset_t* set = knot_rrset_new(detail::as_dname(*owner), static_cast<uint16_t>(r.type), KNOT_CLASS_IN, r.ttl,
                                       nullptr);
    EXPECT_EQ(knot_rrset_add_rdata(set, reinterpret_cast<const uint8_t*>(rdata->data()),
                                   static_cast<uint16_t>(rdata->size()), nullptr),
              KNOT_EOK);
    EXPECT_EQ(knot_pkt_put(pkt.get(), KNOT_COMPR_HINT_NONE, set, KNOT_PF_FREE), KNOT_EOK);
    std::free(set);  // the packet copied it and frees its owner and RDATA
  }
  std::vector<uint8_t> out(pkt->wire, pkt->wire + pkt->size);
  return out;
}

// Signs the messages of one answer as a server does: the first over the
// request MAC, the next ones over the previous MAC; `unsigned_index` is left
// unsigned (and covered by the next signed one).
std::vector<std::vector<uint8_t>> sign_all(const Query& q, std::vector<std::vector<uint8_t>> msgs,
                                           std::optional<size_t> unsigned_index = std::nullopt,
                                           const char* secret = kSecret) {
  knot_tsig_key_t key{};
  EXPECT_EQ(knot_tsig_key_init(&key, "hmac-sha256", "ecssd-key", secret), KNOT_EOK);
  std::vector<uint8_t> prev = q.request_mac;
  std::vector<uint8_t> pending;
  for (size_t i = 0; i < msgs.size(); ++i) {
    auto& m = msgs[i];
    if (unsigned_index && *unsigned_index == i) {
      pending.insert(pending.end(), m.begin(), m.end());
      continue;
    }
    std::vector<uint8_t> to_sign = pending;
    to_sign.insert(to_sign.end(), m.begin(), m.end());
    pending.clear();
    size_t size = m.size();
    m.resize(65535);
    uint8_t mac[64];
    size_t mac_len = sizeof mac;
    int ret = i == 0 ? knot_tsig_sign(m.data(), &size, m.size(), prev.data(), prev.size(), mac, &mac_len, &key, 0, 0)
                     : knot_tsig_sign_next(m.data(), &size, m.size(), prev.data(), prev.size(), mac, &mac_len, &key,
                                           to_sign.data(), to_sign.size());
    EXPECT_EQ(ret, KNOT_EOK);
    m.resize(size);
    prev.assign(mac, mac + mac_len);
  }
  knot_tsig_key_deinit(&key);
  return msgs;
}

// Answers each connection with script(query); an empty script result closes
// the connection without answering.
class ScriptedServer {
 public:
  using Script = std::function<std::vector<std::vector<uint8_t>>(const Query&)>;
  ScriptedServer(asio::io_context& io, Script script) : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
                                                         script_(std::move(script)) {
    asio::co_spawn(io, serve(), asio::detached);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  const std::vector<Query>& queries() const { return queries_; }
  void stop() { acceptor_.close(); }

 private:
  asio::awaitable<void> serve() {
    while (acceptor_.is_open()) {
      boost::system::error_code ec;
      tcp::socket s = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      uint8_t len[2];
      co_await asio::async_read(s, asio::buffer(len), asio::redirect_error(asio::use_awaitable, ec));
      std::vector<uint8_t> q((len[0] << 8) | len[1]);
      co_await asio::async_read(s, asio::buffer(q), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) continue;
      queries_.push_back(parse_query(q));
      for (const auto& m : script_(queries_.back())) {
        uint8_t prefix[2] = {static_cast<uint8_t>(m.size() >> 8), static_cast<uint8_t>(m.size() & 0xff)};
        co_await asio::async_write(s, asio::buffer(prefix), asio::redirect_error(asio::use_awaitable, ec));
        co_await asio::async_write(s, asio::buffer(m), asio::redirect_error(asio::use_awaitable, ec));
      }
    }
  }
  tcp::acceptor acceptor_;
  Script script_;
  std::vector<Query> queries_;
};

// Runs the task until it completes (the scripted server keeps accepting, so
// the io_context never runs out of work by itself).
template <typename T>
T run_until_done(asio::io_context& io, asio::awaitable<T> task) {
  std::optional<T> out;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    if (e) std::rethrow_exception(e);
    out.emplace(std::move(value));
    io.stop();
  });
  io.restart();
  io.run();
  return std::move(*out);
}

class XfrClientTest : public ::testing::Test {
 protected:
  ServerOptions options(const ScriptedServer& s, bool keyed = false) {
    ServerOptions o;
    o.server = s.address();
    o.time = &time_;
    o.timeout = std::chrono::milliseconds(2000);
    if (keyed) o.key = TsigSigner::make(TsigKey("ecssd-key", TsigAlgorithm::kHmacSha256, kSecret)).value();
    return o;
  }
  common::Result<Refresh> refresh(const ServerOptions& o, ZoneCopy& copy) {
    return run_until_done(io_, dns::refresh(o, copy, XfrLimits{}));
  }
  common::RealTimeSystem time_;
  asio::io_context io_;
};

// The zone at serial 1, and the changes that make serials 2 and 3.
std::vector<Rr> zone_v1() {
  return {soa_rr(1), rr("svc.test", RecordType::kNS, "ns.svc.test"), rr("web.svc.test", RecordType::kA, "10.0.0.1"),
          rr("mx.svc.test", RecordType::kA, "10.0.0.5")};
}

std::vector<std::vector<uint8_t>> axfr_v1(const Query& q) {
  auto z = zone_v1();
  return {message(q, {z[0], z[1]}), message(q, {z[2], z[3]}), message(q, {soa_rr(1)})};
}

TEST_F(XfrClientTest, FirstRefreshIsAnAxfrInSeveralMessages) {
  ScriptedServer server(io_, [](const Query& q) { return axfr_v1(q); });
  ZoneCopy copy("svc.test");
  auto r = refresh(options(server), copy);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->kind, Refresh::Kind::kFull);
  EXPECT_EQ(r->serial, 1u);
  EXPECT_EQ(copy.serial(), 1u);
  EXPECT_EQ(copy.rr_count(), 4u);
  EXPECT_EQ(r->wire.messages, 3u);
  ASSERT_EQ(server.queries().size(), 1u);
  EXPECT_EQ(server.queries()[0].qtype, KNOT_RRTYPE_AXFR);
}

TEST_F(XfrClientTest, MovedSerialIsReadByIxfrSteps) {
  uint32_t serial = 1;
  ScriptedServer server(io_, [&](const Query& q) -> std::vector<std::vector<uint8_t>> {
    if (q.qtype == KNOT_RRTYPE_AXFR) return axfr_v1(q);
    if (q.qtype == KNOT_RRTYPE_SOA) return {message(q, {soa_rr(serial)})};
    EXPECT_EQ(q.ixfr_serial, 1u);
    return {message(q, {soa_rr(3), soa_rr(1), rr("web.svc.test", RecordType::kA, "10.0.0.1"), soa_rr(2),
                        rr("web.svc.test", RecordType::kA, "10.0.0.2")}),
            message(q, {soa_rr(2), soa_rr(3), rr("api.svc.test", RecordType::kCNAME, "web.svc.test"), soa_rr(3)})};
  });
  ZoneCopy copy("svc.test");
  ASSERT_TRUE(refresh(options(server), copy).ok());
  auto same = refresh(options(server), copy);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->kind, Refresh::Kind::kUpToDate);
  EXPECT_EQ(server.queries().back().qtype, KNOT_RRTYPE_SOA);
  serial = 3;
  auto r = refresh(options(server), copy);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->kind, Refresh::Kind::kIncremental);
  EXPECT_EQ(copy.serial(), 3u);
  EXPECT_EQ(copy.rrset("web.svc.test", RecordType::kA)->values, std::vector<std::string>{"10.0.0.2"});
  EXPECT_TRUE(copy.rrset("api.svc.test", RecordType::kCNAME));
  EXPECT_EQ(server.queries().size(), 4u);  // AXFR, SOA, SOA, IXFR
}

TEST_F(XfrClientTest, IxfrAnsweredWithTheWholeZone) {
  uint32_t serial = 1;
  ScriptedServer server(io_, [&](const Query& q) -> std::vector<std::vector<uint8_t>> {
    if (q.qtype == KNOT_RRTYPE_SOA) return {message(q, {soa_rr(serial)})};
    if (q.qtype == KNOT_RRTYPE_AXFR) return axfr_v1(q);
    // PowerDNS: an IXFR gets the zone as an AXFR would.
    return {message(q, {soa_rr(2)}), message(q, {rr("svc.test", RecordType::kNS, "ns.svc.test")}),
            message(q, {soa_rr(2)})};
  });
  ZoneCopy copy("svc.test");
  ASSERT_TRUE(refresh(options(server), copy).ok());
  serial = 2;
  auto r = refresh(options(server), copy);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->kind, Refresh::Kind::kFull);
  EXPECT_EQ(copy.serial(), 2u);
  EXPECT_EQ(copy.rr_count(), 2u);
  EXPECT_EQ(server.queries().size(), 3u);  // no second transfer
}

TEST_F(XfrClientTest, IxfrThatDoesNotApplyFallsBackToAxfr) {
  uint32_t serial = 1;
  ScriptedServer server(io_, [&](const Query& q) -> std::vector<std::vector<uint8_t>> {
    if (q.qtype == KNOT_RRTYPE_SOA) return {message(q, {soa_rr(serial)})};
    if (q.qtype == KNOT_RRTYPE_AXFR) {
      return {message(q, {soa_rr(serial), rr("svc.test", RecordType::kNS, "ns.svc.test"), soa_rr(serial)})};
    }
    return {message(q, {soa_rr(2), soa_rr(1), rr("never.svc.test", RecordType::kA, "10.9.9.9"), soa_rr(2), soa_rr(2)})};
  });
  ZoneCopy copy("svc.test");
  ASSERT_TRUE(refresh(options(server), copy).ok());
  serial = 2;
  auto r = refresh(options(server), copy);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->kind, Refresh::Kind::kFull);
  ASSERT_TRUE(r->ixfr_fallback);
  EXPECT_NE(r->ixfr_fallback->find("never.svc.test"), std::string::npos);
  EXPECT_EQ(copy.serial(), 2u);
  EXPECT_EQ(server.queries().back().qtype, KNOT_RRTYPE_AXFR);
}

TEST_F(XfrClientTest, ServerWithoutIxfrFallsBackToAxfr) {
  uint32_t serial = 1;
  ScriptedServer server(io_, [&](const Query& q) -> std::vector<std::vector<uint8_t>> {
    if (q.qtype == KNOT_RRTYPE_SOA) return {message(q, {soa_rr(serial)})};
    if (q.qtype == KNOT_RRTYPE_IXFR) return {message(q, {}, KNOT_RCODE_NOTIMPL)};
    return {message(q, {soa_rr(serial), soa_rr(serial)})};
  });
  ZoneCopy copy("svc.test");
  ASSERT_TRUE(refresh(options(server), copy).ok());
  serial = 5;
  auto r = refresh(options(server), copy);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(copy.serial(), 5u);
  EXPECT_NE(r->ixfr_fallback.value_or("").find("NOTIMP"), std::string::npos);
}

TEST_F(XfrClientTest, RefusalComesBackAsDataAndKeepsTheCopy) {
  bool refuse = false;
  ScriptedServer server(io_, [&](const Query& q) -> std::vector<std::vector<uint8_t>> {
    if (refuse) return {message(q, {}, KNOT_RCODE_REFUSED)};
    return axfr_v1(q);
  });
  ZoneCopy copy("svc.test");
  ASSERT_TRUE(refresh(options(server), copy).ok());
  refuse = true;
  auto r = refresh(options(server), copy);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->answer.rcode, KNOT_RCODE_REFUSED);
  EXPECT_FALSE(r->answer.ok());
  EXPECT_EQ(copy.rr_count(), 4u);
}

TEST_F(XfrClientTest, TransferCutShortKeepsTheCopy) {
  bool cut = false;
  ScriptedServer server(io_, [&](const Query& q) -> std::vector<std::vector<uint8_t>> {
    if (!cut) return axfr_v1(q);
    return {message(q, {soa_rr(9), rr("svc.test", RecordType::kNS, "ns.svc.test")})};  // then the connection closes
  });
  ZoneCopy copy("svc.test");
  ASSERT_TRUE(refresh(options(server), copy).ok());
  cut = true;
  ZoneCopy fresh("svc.test");
  auto first = refresh(options(server), fresh);
  ASSERT_FALSE(first.ok());
  EXPECT_TRUE(first.error().transient);
  EXPECT_FALSE(fresh.loaded());
  EXPECT_EQ(copy.rr_count(), 4u);
}

TEST_F(XfrClientTest, MalformedTransferIsRefusedWhole) {
  ScriptedServer server(io_, [&](const Query& q) -> std::vector<std::vector<uint8_t>> {
    return {message(q, {rr("web.svc.test", RecordType::kA, "10.0.0.1"), soa_rr(1)})};
  });
  ZoneCopy copy("svc.test");
  auto r = refresh(options(server), copy);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, common::ErrorCode::kProtocol);
  EXPECT_NE(r.error().message.find("does not start with the zone's SOA"), std::string::npos);
}

TEST_F(XfrClientTest, SignedTransferVerifiesEveryMessage) {
  ScriptedServer server(io_, [&](const Query& q) { return sign_all(q, axfr_v1(q), 1); });
  ZoneCopy copy("svc.test");
  auto r = refresh(options(server, true), copy);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(copy.rr_count(), 4u);
}

TEST_F(XfrClientTest, UnsignedLastMessageIsRejected) {
  ScriptedServer server(io_, [&](const Query& q) { return sign_all(q, axfr_v1(q), 2); });
  ZoneCopy copy("svc.test");
  auto r = refresh(options(server, true), copy);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, common::ErrorCode::kPermissionDenied);
  EXPECT_NE(r.error().message.find("last message is not signed"), std::string::npos);
  EXPECT_FALSE(copy.loaded());
}

TEST_F(XfrClientTest, TransferSignedWithAnotherSecretIsRejected) {
  ScriptedServer server(io_, [&](const Query& q) {
    return sign_all(q, axfr_v1(q), std::nullopt, "KmIiTGNFRDcCri8/sU/jOIqJMju7DNBzaHwQ2ya1gXA=");
  });
  ZoneCopy copy("svc.test");
  auto r = refresh(options(server, true), copy);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, common::ErrorCode::kPermissionDenied);
  EXPECT_FALSE(copy.loaded());
}

TEST_F(XfrClientTest, UnsignedAnswerToASignedSoaQueryIsRejected) {
  ScriptedServer server(io_, [&](const Query& q) -> std::vector<std::vector<uint8_t>> {
    if (q.qtype == KNOT_RRTYPE_AXFR) return sign_all(q, axfr_v1(q));
    return {message(q, {soa_rr(2)})};
  });
  ZoneCopy copy("svc.test");
  ASSERT_TRUE(refresh(options(server, true), copy).ok());
  auto r = refresh(options(server, true), copy);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not signed"), std::string::npos);
  EXPECT_EQ(copy.serial(), 1u);
}

TEST_F(XfrClientTest, NoServerIsTransient) {
  std::string address;
  {
    tcp::acceptor closed(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    address = "127.0.0.1:" + std::to_string(closed.local_endpoint().port());
  }
  ServerOptions o;
  o.server = address;
  o.time = &time_;
  ZoneCopy copy("svc.test");
  auto r = refresh(o, copy);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().transient);
  EXPECT_EQ(r.error().code, common::ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace ecssd::dns
