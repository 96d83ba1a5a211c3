// TSIG signing and verification against answers a server signs with
// libknot: one answer, a transfer with unsigned messages in between, the
// server's BADTIME and BADKEY verdicts, and answers that must be rejected.
#include "dns/tsig.h"

#include <ctime>

#include <gtest/gtest.h>

#include "dns/knot_util.h"

namespace ecssd::dns {
namespace {

constexpr const char* kSecret = "TrpneRf56sCXdxqVreEW2DyJGKdqDoiN0poxeyG6Q14=";
constexpr const char* kOtherSecret = "KmIiTGNFRDcCri8/sU/jOIqJMju7DNBzaHwQ2ya1gXA=";

// The server's side of the exchange: its own libknot key.
struct ServerKey {
  explicit ServerKey(const char* name = "ecssd-key", const char* secret = kSecret,
                     const char* alg = "hmac-sha256") {
    EXPECT_EQ(knot_tsig_key_init(&key, alg, name, secret), KNOT_EOK);
  }
  ~ServerKey() { knot_tsig_key_deinit(&key); }
  knot_tsig_key_t key{};
};

TsigSigner signer(const char* secret = kSecret) {
  auto s = TsigSigner::make(TsigKey("ecssd-key", TsigAlgorithm::kHmacSha256, secret));
  EXPECT_TRUE(s.ok());
  return std::move(s).value();
}

// A query for web.test A with id 0x1234.
std::vector<uint8_t> query() {
  detail::PktPtr pkt(knot_pkt_new(nullptr, 65535, nullptr));
  knot_wire_set_id(pkt->wire, 0x1234);
  auto name = detail::name_to_wire("web.test", "name");
  EXPECT_EQ(knot_pkt_put_question(pkt.get(), detail::as_dname(*name), KNOT_CLASS_IN, KNOT_RRTYPE_A), KNOT_EOK);
  std::vector<uint8_t> out(pkt->wire, pkt->wire + pkt->size);
  out.reserve(65535);
  return out;
}

// An answer (QR set) to the query, unsigned; `n` goes into the low header
// bits so that the messages of a transfer differ.
std::vector<uint8_t> answer(uint8_t n) {
  auto q = query();
  q[2] |= 0x80;  // QR
  q[3] = static_cast<uint8_t>((q[3] & 0xf0) | (n & 0x0f));
  return q;
}

// Signs a request and returns the request MAC, as the server sees it.
std::vector<uint8_t> sign_request(TsigExchange& ex, std::vector<uint8_t>& wire) {
  size_t size = wire.size();
  wire.resize(65535);
  EXPECT_TRUE(ex.sign(wire.data(), &size, wire.size()).ok());
  wire.resize(size);
  detail::PktPtr pkt(knot_pkt_new(wire.data(), wire.size(), nullptr));
  EXPECT_EQ(knot_pkt_parse(pkt.get(), 0), KNOT_EOK);
  EXPECT_NE(pkt->tsig_rr, nullptr);
  const uint8_t* mac = knot_tsig_rdata_mac(pkt->tsig_rr);
  return {mac, mac + knot_tsig_rdata_mac_length(pkt->tsig_rr)};
}

struct Signed {
  std::vector<uint8_t> wire;
  std::vector<uint8_t> mac;
};

Signed server_sign_first(const ServerKey& k, std::vector<uint8_t> msg, const std::vector<uint8_t>& request_mac,
                         uint16_t tsig_rcode = 0, uint64_t request_time = 0) {
  size_t size = msg.size();
  msg.resize(65535);
  uint8_t mac[64];
  size_t mac_len = sizeof mac;
  EXPECT_EQ(knot_tsig_sign(msg.data(), &size, msg.size(), request_mac.data(), request_mac.size(), mac, &mac_len, &k.key,
                           tsig_rcode, request_time),
            KNOT_EOK);
  msg.resize(size);
  return {msg, {mac, mac + mac_len}};
}

Signed server_sign_next(const ServerKey& k, std::vector<uint8_t> msg, const std::vector<uint8_t>& prev,
                        std::vector<uint8_t> covered_before = {}) {
  std::vector<uint8_t> to_sign = std::move(covered_before);
  to_sign.insert(to_sign.end(), msg.begin(), msg.end());
  size_t size = msg.size();
  msg.resize(65535);
  uint8_t mac[64];
  size_t mac_len = sizeof mac;
  EXPECT_EQ(knot_tsig_sign_next(msg.data(), &size, msg.size(), prev.data(), prev.size(), mac, &mac_len, &k.key,
                                to_sign.data(), to_sign.size()),
            KNOT_EOK);
  msg.resize(size);
  return {msg, {mac, mac + mac_len}};
}

// The client side: parse and verify.
common::Status check(TsigExchange& ex, std::vector<uint8_t> wire, ServerTsigVerdict* verdict = nullptr) {
  detail::PktPtr pkt(knot_pkt_new(wire.data(), wire.size(), nullptr));
  EXPECT_EQ(knot_pkt_parse(pkt.get(), 0), KNOT_EOK);
  if (verdict) *verdict = ex.server_verdict(pkt.get());
  return ex.verify(pkt.get());
}

TEST(TsigTest, SignedAnswerVerifies) {
  ServerKey k;
  TsigExchange ex(signer());
  auto req = query();
  auto mac = sign_request(ex, req);
  auto a = server_sign_first(k, answer(0), mac);
  ServerTsigVerdict v;
  auto s = check(ex, a.wire, &v);
  EXPECT_TRUE(s.ok()) << s.error().describe();
  EXPECT_EQ(v.error, 0);
  EXPECT_TRUE(ex.last_signed());
}

TEST(TsigTest, UnsignedFirstAnswerIsRejected) {
  TsigExchange ex(signer());
  auto req = query();
  sign_request(ex, req);
  auto s = check(ex, answer(0));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, common::ErrorCode::kPermissionDenied);
  EXPECT_NE(s.error().message.find("not signed"), std::string::npos);
  EXPECT_EQ(s.error().message.find(kSecret), std::string::npos);
}

TEST(TsigTest, AnswerSignedWithAnotherSecretIsRejected) {
  ServerKey other("ecssd-key", kOtherSecret);
  TsigExchange ex(signer());
  auto req = query();
  auto mac = sign_request(ex, req);
  auto s = check(ex, server_sign_first(other, answer(0), mac).wire);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("another secret"), std::string::npos);
}

TEST(TsigTest, AnswerSignedWithAnotherKeyNameIsRejected) {
  ServerKey other("someone-else", kSecret);
  TsigExchange ex(signer());
  auto req = query();
  auto mac = sign_request(ex, req);
  auto s = check(ex, server_sign_first(other, answer(0), mac).wire);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("another key name"), std::string::npos);
}

TEST(TsigTest, TamperedAnswerIsRejected) {
  ServerKey k;
  TsigExchange ex(signer());
  auto req = query();
  auto mac = sign_request(ex, req);
  auto a = server_sign_first(k, answer(0), mac);
  a.wire[3] ^= 0x05;  // the RCODE, after signing
  EXPECT_FALSE(check(ex, a.wire).ok());
}

TEST(TsigTest, TransferWithUnsignedMessagesInBetween) {
  ServerKey k;
  TsigExchange ex(signer());
  auto req = query();
  auto mac = sign_request(ex, req);
  auto m1 = server_sign_first(k, answer(1), mac);
  ASSERT_TRUE(check(ex, m1.wire).ok());
  auto m2 = answer(2);  // unsigned
  auto m3 = answer(3);  // unsigned
  ASSERT_TRUE(check(ex, m2).ok());
  EXPECT_FALSE(ex.last_signed());
  ASSERT_TRUE(check(ex, m3).ok());
  std::vector<uint8_t> before = m2;
  before.insert(before.end(), m3.begin(), m3.end());
  auto m4 = server_sign_next(k, answer(4), m1.mac, before);
  auto s = check(ex, m4.wire);
  EXPECT_TRUE(s.ok()) << s.error().describe();
  EXPECT_TRUE(ex.last_signed());
  auto m5 = server_sign_next(k, answer(5), m4.mac);
  EXPECT_TRUE(check(ex, m5.wire).ok());
}

TEST(TsigTest, TransferMessageLeftOutOfTheChainIsRejected) {
  ServerKey k;
  TsigExchange ex(signer());
  auto req = query();
  auto mac = sign_request(ex, req);
  auto m1 = server_sign_first(k, answer(1), mac);
  ASSERT_TRUE(check(ex, m1.wire).ok());
  ASSERT_TRUE(check(ex, answer(2)).ok());  // unsigned, and the server's next MAC does not cover it
  auto m3 = server_sign_next(k, answer(3), m1.mac);
  EXPECT_FALSE(check(ex, m3.wire).ok());
}

TEST(TsigTest, ServerBadTimeVerdictSaysBySoMuch) {
  ServerKey k;
  TsigExchange ex(signer());
  auto req = query();
  auto mac = sign_request(ex, req);
  // The server answers BADTIME: NOTAUTH, its clock in Other Data (libknot
  // puts its own time there; our request's time goes into Time Signed,
  // so the answer verifies with our clock).
  auto msg = answer(0);
  knot_wire_set_rcode(msg.data(), KNOT_RCODE_NOTAUTH);
  auto a = server_sign_first(k, msg, mac, KNOT_RCODE_BADTIME, static_cast<uint64_t>(std::time(nullptr)));
  ServerTsigVerdict v;
  EXPECT_TRUE(check(ex, a.wire, &v).ok());  // a signed BADTIME answer verifies
  EXPECT_EQ(v.error, kTsigBadTime);
  ASSERT_TRUE(v.server_clock_ahead);
  EXPECT_NEAR(static_cast<double>(*v.server_clock_ahead), 0.0, 2.0);  // same machine: no real skew
}

TEST(TsigTest, SignerKnowsItsSize) {
  auto s = signer();
  EXPECT_GT(s.max_rr_size(), 32u + 12u);
  EXPECT_LT(s.max_rr_size(), 200u);
  EXPECT_EQ(s.describe(), "ecssd-key (hmac-sha256)");
}

}  // namespace
}  // namespace ecssd::dns
