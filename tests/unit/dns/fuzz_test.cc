// Fuzz-style robustness test of answer_into(): random and mutated packets
// never crash it (CI also runs this under ASan/UBSan), every reply stays
// within its limits and parses, and its verdict on well- or ill-formed queries
// agrees with libknot's own parser.
#include <random>

#include <gtest/gtest.h>

#include "dns/answer.h"
#include "dns/zone.h"
#include "unit/dns/dns_test_util.h"

namespace ecssd::dns {
namespace {

using testing::bytes;
using testing::make_query;
using testing::QuerySpec;

struct PktFree {
  void operator()(knot_pkt_t* p) const { knot_pkt_free(p); }
};

std::shared_ptr<const ZoneSnapshot> fuzz_zone() {
  std::vector<model::Record> rs;
  auto add = [&](std::string name, model::RecordType t, std::vector<std::string> v, std::string set = "") {
    model::Record r;
    r.name = std::move(name);
    r.type = t;
    r.ttl = 10;
    r.values = std::move(v);
    r.set_identifier = std::move(set);
    rs.push_back(std::move(r));
  };
  add("web.svc.test", model::RecordType::kCNAME, {"h1.svc.test"}, "a");
  add("web.svc.test", model::RecordType::kCNAME, {"h2.svc.test"}, "b");
  add("h1.svc.test", model::RecordType::kA, {"10.0.0.1"});
  add("h2.svc.test", model::RecordType::kAAAA, {"fd00::2"});
  add("_x._tcp.svc.test", model::RecordType::kSRV, {"1 1 80 h1.svc.test"});
  std::vector<std::string> many;
  for (int i = 0; i < 90; ++i) many.push_back("10.9.0." + std::to_string(i));
  add("big.svc.test", model::RecordType::kA, many);
  ZoneOptions o;
  o.zone = "svc.test";
  auto z = build_zone(o, rs, 1);
  EXPECT_TRUE(z.ok());
  return z.value();
}

std::vector<std::string> seeds() {
  std::vector<std::string> out;
  for (const char* name : {"web.svc.test", "H1.svc.test", "big.svc.test", "nope.svc.test", "example.org",
                           "_x._tcp.svc.test", "svc.test"}) {
    for (uint16_t type : {KNOT_RRTYPE_A, KNOT_RRTYPE_AAAA, KNOT_RRTYPE_SRV, KNOT_RRTYPE_ANY, KNOT_RRTYPE_AXFR}) {
      QuerySpec s;
      s.name = name;
      s.qtype = type;
      out.push_back(make_query(s));
      s.edns = true;
      s.edns_do = true;
      out.push_back(make_query(s));
    }
  }
  return out;
}

std::string mutate(std::string q, std::mt19937& rng) {
  std::uniform_int_distribution<int> op(0, 7), byte(0, 255);
  int rounds = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < rounds; ++i) {
    size_t at = q.empty() ? 0 : rng() % q.size();
    switch (op(rng)) {
      case 0: if (!q.empty()) q[at] = static_cast<char>(q[at] ^ (1 << (rng() % 8))); break;
      case 1: if (!q.empty()) q[at] = static_cast<char>(byte(rng)); break;
      case 2: q.resize(at); break;
      case 3: q.insert(at, 1, static_cast<char>(byte(rng))); break;
      case 4: if (q.size() > 11) q[4 + 2 * (rng() % 4) + 1] = static_cast<char>(rng() % 4); break;  // a count
      case 5: if (q.size() > 13) q[12] = static_cast<char>(0xc0 | (rng() % 4)); break;           // pointer
      case 6: q += std::string(1 + rng() % 20, static_cast<char>(byte(rng))); break;
      case 7: if (q.size() > 3) q[2] = static_cast<char>(q[2] & 0x7f); break;                       // keep QR clear
    }
  }
  return q;
}

// libknot's verdict: true when it parses the packet as a query with one question.
bool libknot_accepts(const std::string& wire) {
  std::vector<uint8_t> copy(wire.begin(), wire.end());
  std::unique_ptr<knot_pkt_t, PktFree> pkt(knot_pkt_new(copy.data(), copy.size(), nullptr));
  if (!pkt || knot_pkt_parse(pkt.get(), 0) != KNOT_EOK) return false;
  return knot_wire_get_qdcount(pkt->wire) == 1 && pkt->qname_size > 0;
}

struct Tally {
  size_t dropped = 0, formerr = 0, answered = 0;
};

void check(const ZoneSnapshot* zone, const std::string& q, Transport t, std::vector<uint8_t>& out, bool differential,
           Tally& tally) {
  AnswerInfo info = answer_into(zone, bytes(q), {t, true}, out);
  size_t limit = t == Transport::kTcp ? 65535 : 1232;
  ASSERT_LE(info.size, limit);
  if (q.size() < 12 || (static_cast<uint8_t>(q[2]) & 0x80)) {
    ASSERT_EQ(info.size, 0u) << "must drop";
    ++tally.dropped;
    return;
  }
  if (info.transfer) return;
  ASSERT_GE(info.size, 12u);
  ASSERT_EQ(out[0], static_cast<uint8_t>(q[0]));
  ASSERT_EQ(out[1], static_cast<uint8_t>(q[1]));
  std::string reply(reinterpret_cast<const char*>(out.data()), info.size);
  auto parsed = testing::parse_response(reply);
  ASSERT_TRUE(parsed.parsed) << parsed.error;
  ASSERT_EQ(parsed.rcode, info.rcode);
  ++(info.rcode == rcode::kFormErr ? tally.formerr : tally.answered);
  uint8_t opcode = (static_cast<uint8_t>(q[2]) >> 3) & 0x0f;
  if (differential && opcode == KNOT_OPCODE_QUERY) {
    bool ok = libknot_accepts(q);
    ASSERT_EQ(info.rcode == rcode::kFormErr, !ok) << "disagrees with libknot on a packet of " << q.size() << " octets";
  }
}

TEST(FuzzTest, MutatedQueriesNeverCrashAndAgreeWithLibknot) {
  auto zone = fuzz_zone();
  auto base = seeds();
  std::mt19937 rng(20240601);
  std::vector<uint8_t> out(65535);
  Tally tally;
  for (int i = 0; i < 60000; ++i) {
    std::string q = mutate(base[rng() % base.size()], rng);
    check(zone.get(), q, i % 2 ? Transport::kTcp : Transport::kUdp, out, true, tally);
    if (::testing::Test::HasFatalFailure()) return;
  }
  std::printf("dropped %zu, FORMERR %zu, answered %zu\n", tally.dropped, tally.formerr, tally.answered);
  // Both verdicts were exercised many times, so the agreement above means something.
  EXPECT_GT(tally.formerr, 5000u);
  EXPECT_GT(tally.answered, 5000u);
}

TEST(FuzzTest, RandomBytesNeverCrash) {
  auto zone = fuzz_zone();
  std::mt19937 rng(7);
  std::vector<uint8_t> out(65535);
  Tally tally;
  for (int i = 0; i < 30000; ++i) {
    std::string q(rng() % 600, '\0');
    for (auto& c : q) c = static_cast<char>(rng());
    if (i % 3 == 0 && q.size() > 5) {  // make many of them look like one-question queries
      q[2] = 0;
      q[4] = 0;
      q[5] = 1;
    }
    check(zone.get(), q, Transport::kUdp, out, false, tally);
    check(nullptr, q, Transport::kUdp, out, false, tally);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(FuzzTest, SmallOutputBuffersAreRespected) {
  auto zone = fuzz_zone();
  std::vector<uint8_t> small(512);
  for (const auto& q : seeds()) {
    AnswerInfo info = answer_into(zone.get(), bytes(q), {Transport::kTcp, true}, small);
    EXPECT_LE(info.size, small.size());
  }
  std::vector<uint8_t> tiny(100);
  EXPECT_EQ(answer_into(zone.get(), bytes(seeds()[0]), {}, tiny).size, 0u);
}

}  // namespace
}  // namespace ecssd::dns
