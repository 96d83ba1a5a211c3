// The responder's answers, computed without sockets and checked by parsing
// them with libknot (an independent implementation).
#include "dns/answer.h"

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "dns/zone.h"
#include "model/names.h"
#include "unit/dns/dns_test_util.h"

namespace ecssd::dns {
namespace {

using model::Record;
using model::RecordType;
using testing::bytes;
using testing::make_query;
using testing::parse_response;
using testing::QuerySpec;
using testing::Response;

Record rec(std::string name, RecordType type, std::vector<std::string> values, std::string set = "", uint32_t ttl = 10) {
  Record r;
  r.name = std::move(name);
  r.type = type;
  r.ttl = ttl;
  r.values = std::move(values);
  r.set_identifier = std::move(set);
  r.weight = 1;
  return r;
}

ZoneOptions options() {
  ZoneOptions o;
  o.zone = "svc.test";
  o.ns_name = "ns.svc.test";
  o.hostmaster = "admin@example.org";
  o.soa_ttl = 300;
  o.negative_ttl = 5;
  return o;
}

std::vector<Record> records() {
  std::vector<Record> r = {
      rec("web.svc.test", RecordType::kCNAME, {"host1.svc.test"}, "a"),
      rec("web.svc.test", RecordType::kCNAME, {"host2.svc.test"}, "b"),
      rec("web.svc.test", RecordType::kCNAME, {"host1.svc.test"}, "c"),
      rec("host1.svc.test", RecordType::kA, {"10.0.0.1"}, "h1", 30),
      rec("host2.svc.test", RecordType::kA, {"10.0.0.2"}, "h2"),
      rec("host2.svc.test", RecordType::kAAAA, {"fd00::2"}, "h2"),
      rec("ns.svc.test", RecordType::kA, {"127.0.0.1"}),
      rec("_calc._tcp.svc.test", RecordType::kSRV, {"1 1 18081 host1.svc.test"}, "s"),
      rec("cname._ecssd.web.svc.test", RecordType::kTXT, {"\"heritage=ecssd\" \"set=a\""}, "a"),
      rec("api.svc.test", RecordType::kA, {"10.0.0.3", "10.0.0.3"}, "x"),
      rec("api.svc.test", RecordType::kA, {"10.0.0.4"}, "y", 7),
      rec("ext.svc.test", RecordType::kCNAME, {"example.org"}),
      rec("dangling.svc.test", RecordType::kCNAME, {"nothere.svc.test"}),
      rec("chain.svc.test", RecordType::kCNAME, {"web.svc.test"}),
  };
  Record big = rec("big.svc.test", RecordType::kA, {});
  for (int i = 0; i < 100; ++i) big.values.push_back("10.1.0." + std::to_string(i));
  r.push_back(big);
  // An SRV whose answer fits in 512 octets but whose additional addresses do not.
  Record srv = rec("_many._tcp.svc.test", RecordType::kSRV, {});
  for (int t = 0; t < 8; ++t) {
    std::string target = "t" + std::to_string(t) + ".svc.test";
    srv.values.push_back("1 1 80 " + target);
    Record a = rec(target, RecordType::kA, {});
    for (int i = 0; i < 4; ++i) a.values.push_back("10.2." + std::to_string(t) + "." + std::to_string(i));
    r.push_back(a);
  }
  r.push_back(srv);
  return r;
}

class AnswerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto z = build_zone(options(), records(), 2024010101);
    ASSERT_TRUE(z.ok()) << z.error().describe();
    zone_ = z.value();
  }

  Response ask(const QuerySpec& spec, Transport t = Transport::kUdp, bool loopback = true) {
    auto out = answer(zone_.get(), bytes(make_query(spec)), {t, loopback});
    if (out.size() != 1) {
      Response r;
      r.error = "got " + std::to_string(out.size()) + " messages";
      return r;
    }
    return parse_response(out.front());
  }
  Response ask(std::string name, uint16_t qtype, Transport t = Transport::kUdp) {
    QuerySpec s;
    s.name = std::move(name);
    s.qtype = qtype;
    return ask(s, t);
  }

  std::shared_ptr<const ZoneSnapshot> zone_;
};

TEST_F(AnswerTest, AnswersARecordAuthoritatively) {
  Response r = ask("host1.svc.test", KNOT_RRTYPE_A);
  ASSERT_TRUE(r.parsed) << r.error;
  EXPECT_EQ(r.id, 0x1234);
  EXPECT_TRUE(r.qr);
  EXPECT_TRUE(r.aa);
  EXPECT_TRUE(r.rd);   // copied
  EXPECT_FALSE(r.ra);  // no recursion here
  EXPECT_FALSE(r.tc);
  EXPECT_EQ(r.rcode, KNOT_RCODE_NOERROR);
  EXPECT_EQ(r.qname, "host1.svc.test.");
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(r.answer[0].owner, "host1.svc.test.");
  EXPECT_EQ(r.answer[0].type, KNOT_RRTYPE_A);
  EXPECT_EQ(r.answer[0].ttl, 30u);
  EXPECT_EQ(r.answer[0].data, "10.0.0.1");
  EXPECT_TRUE(r.authority.empty());
  EXPECT_FALSE(r.has_opt);
}

TEST_F(AnswerTest, NamesAreCaseInsensitiveAndTheQuestionIsEchoedAsAsked) {
  Response r = ask("HoSt2.SVC.Test", KNOT_RRTYPE_AAAA);
  ASSERT_TRUE(r.parsed) << r.error;
  EXPECT_EQ(r.rcode, KNOT_RCODE_NOERROR);
  EXPECT_EQ(r.qname, "HoSt2.SVC.Test.");
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(r.answer[0].data, "fd00::2");
  EXPECT_TRUE(model::names_equal(r.answer[0].owner, "host2.svc.test."));
}

TEST_F(AnswerTest, NxdomainCarriesTheSoaWithTheNegativeTtl) {
  Response r = ask("nope.svc.test", KNOT_RRTYPE_A);
  ASSERT_TRUE(r.parsed) << r.error;
  EXPECT_EQ(r.rcode, KNOT_RCODE_NXDOMAIN);
  EXPECT_TRUE(r.aa);
  EXPECT_TRUE(r.answer.empty());
  ASSERT_EQ(r.authority.size(), 1u);
  EXPECT_EQ(r.authority[0].owner, "svc.test.");
  EXPECT_EQ(r.authority[0].type, KNOT_RRTYPE_SOA);
  EXPECT_EQ(r.authority[0].ttl, 5u);  // min(SOA TTL, MINIMUM), RFC 2308 section 5
  EXPECT_EQ(r.authority[0].data, "ns.svc.test. admin.example.org. 2024010101 3600 600 86400 5");
}

TEST_F(AnswerTest, NxdomainBelowAnExistingName) {
  Response r = ask("a.b.host1.svc.test", KNOT_RRTYPE_A);
  ASSERT_TRUE(r.parsed) << r.error;
  EXPECT_EQ(r.rcode, KNOT_RCODE_NXDOMAIN);
  ASSERT_EQ(r.authority.size(), 1u);
}

TEST_F(AnswerTest, NodataIsNoerrorWithTheSoa) {
  Response r = ask("host1.svc.test", KNOT_RRTYPE_AAAA);
  ASSERT_TRUE(r.parsed) << r.error;
  EXPECT_EQ(r.rcode, KNOT_RCODE_NOERROR);
  EXPECT_TRUE(r.aa);
  EXPECT_TRUE(r.answer.empty());
  ASSERT_EQ(r.authority.size(), 1u);
  EXPECT_EQ(r.authority[0].type, KNOT_RRTYPE_SOA);
  EXPECT_EQ(r.authority[0].ttl, 5u);
}

TEST_F(AnswerTest, EmptyNonTerminalsAreNodataNotNxdomain) {
  for (const char* name : {"_tcp.svc.test", "_ecssd.web.svc.test"}) {
    Response r = ask(name, KNOT_RRTYPE_TXT);
    ASSERT_TRUE(r.parsed) << r.error;
    EXPECT_EQ(r.rcode, KNOT_RCODE_NOERROR) << name;
    EXPECT_TRUE(r.answer.empty()) << name;
    EXPECT_EQ(r.authority.size(), 1u) << name;
  }
}

TEST_F(AnswerTest, RefusesNamesOutsideTheZone) {
  for (const char* name : {"example.org", "test", "xsvc.test", "."}) {
    Response r = ask(name, KNOT_RRTYPE_A);
    ASSERT_TRUE(r.parsed) << r.error;
    EXPECT_EQ(r.rcode, KNOT_RCODE_REFUSED) << name;
    EXPECT_FALSE(r.aa) << name;
    EXPECT_TRUE(r.answer.empty());
    EXPECT_EQ(r.qdcount, 1);
  }
}

TEST_F(AnswerTest, RefusesOtherClasses) {
  QuerySpec s;
  s.name = "host1.svc.test";
  s.qclass = KNOT_CLASS_CH;
  Response r = ask(s);
  ASSERT_TRUE(r.parsed) << r.error;
  EXPECT_EQ(r.rcode, KNOT_RCODE_REFUSED);
}

TEST_F(AnswerTest, ApexHasSoaAndNsWithGlue) {
  Response soa = ask("svc.test", KNOT_RRTYPE_SOA);
  ASSERT_EQ(soa.answer.size(), 1u);
  EXPECT_EQ(soa.answer[0].ttl, 300u);
  EXPECT_EQ(soa.answer[0].data, "ns.svc.test. admin.example.org. 2024010101 3600 600 86400 5");
  Response ns = ask("svc.test", KNOT_RRTYPE_NS);
  ASSERT_EQ(ns.answer.size(), 1u);
  EXPECT_EQ(ns.answer[0].data, "ns.svc.test.");
  ASSERT_EQ(ns.additional.size(), 1u);
  EXPECT_EQ(ns.additional[0].owner, "ns.svc.test.");
  EXPECT_EQ(ns.additional[0].data, "127.0.0.1");
}

TEST_F(AnswerTest, CnameRotatesBetweenDistinctTargetsAndFollowsTheChain) {
  std::map<std::string, int> seen;
  for (int i = 0; i < 10; ++i) {
    Response r = ask("web.svc.test", KNOT_RRTYPE_A);
    ASSERT_TRUE(r.parsed) << r.error;
    EXPECT_EQ(r.rcode, KNOT_RCODE_NOERROR);
    ASSERT_EQ(r.answer.size(), 2u);  // ONE CNAME, then the target's address
    EXPECT_EQ(r.answer[0].type, KNOT_RRTYPE_CNAME);
    EXPECT_EQ(r.answer[1].type, KNOT_RRTYPE_A);
    EXPECT_EQ(r.answer[1].owner, r.answer[0].data);
    seen[r.answer[0].data]++;
  }
  // host1 is the target of two records but one distinct value: an even split.
  EXPECT_EQ(seen, (std::map<std::string, int>{{"host1.svc.test.", 5}, {"host2.svc.test.", 5}}));
}

TEST_F(AnswerTest, CnameQueryAndNodataAtTheTarget) {
  std::set<std::string> targets;
  for (int i = 0; i < 4; ++i) {
    Response c = ask("web.svc.test", KNOT_RRTYPE_CNAME);
    ASSERT_EQ(c.answer.size(), 1u);
    targets.insert(c.answer[0].data);
  }
  EXPECT_EQ(targets.size(), 2u);
  for (int i = 0; i < 4; ++i) {
    Response t = ask("web.svc.test", KNOT_RRTYPE_TXT);
    EXPECT_EQ(t.rcode, KNOT_RCODE_NOERROR);
    ASSERT_EQ(t.answer.size(), 1u);
    EXPECT_EQ(t.answer[0].type, KNOT_RRTYPE_CNAME);
    EXPECT_EQ(t.authority.size(), 1u);  // NODATA at the end of the chain
  }
}

TEST_F(AnswerTest, CnameToAaaaOnlyOneTargetHasIt) {
  int with = 0, without = 0;
  for (int i = 0; i < 6; ++i) {
    Response r = ask("web.svc.test", KNOT_RRTYPE_AAAA);
    EXPECT_EQ(r.rcode, KNOT_RCODE_NOERROR);
    if (r.answer.size() == 2) {
      ++with;
      EXPECT_EQ(r.answer[1].data, "fd00::2");
    } else {
      ++without;
      EXPECT_EQ(r.answer.size(), 1u);
      EXPECT_EQ(r.authority.size(), 1u);
    }
  }
  EXPECT_EQ(with, 3);
  EXPECT_EQ(without, 3);
}

TEST_F(AnswerTest, CnameChainsAndDanglingTargets) {
  Response chain = ask("chain.svc.test", KNOT_RRTYPE_A);
  ASSERT_EQ(chain.answer.size(), 3u);
  EXPECT_EQ(chain.answer[0].data, "web.svc.test.");
  EXPECT_EQ(chain.answer[1].type, KNOT_RRTYPE_CNAME);
  EXPECT_EQ(chain.answer[2].type, KNOT_RRTYPE_A);

  Response ext = ask("ext.svc.test", KNOT_RRTYPE_A);
  EXPECT_EQ(ext.rcode, KNOT_RCODE_NOERROR);
  ASSERT_EQ(ext.answer.size(), 1u);
  EXPECT_EQ(ext.answer[0].data, "example.org.");
  EXPECT_TRUE(ext.authority.empty());

  Response dangling = ask("dangling.svc.test", KNOT_RRTYPE_A);
  EXPECT_EQ(dangling.rcode, KNOT_RCODE_NXDOMAIN);  // RFC 6604
  ASSERT_EQ(dangling.answer.size(), 1u);
  EXPECT_EQ(dangling.authority.size(), 1u);
}

TEST_F(AnswerTest, IdenticalValuesAreServedOnceWithTheSmallestTtl) {
  Response r = ask("api.svc.test", KNOT_RRTYPE_A);
  ASSERT_EQ(r.answer.size(), 2u);
  std::set<std::string> values{r.answer[0].data, r.answer[1].data};
  EXPECT_EQ(values, (std::set<std::string>{"10.0.0.3", "10.0.0.4"}));
  EXPECT_EQ(r.answer[0].ttl, 7u);
  EXPECT_EQ(r.answer[1].ttl, 7u);
}

TEST_F(AnswerTest, SrvWithAddressesInTheAdditionalSection) {
  Response r = ask("_calc._tcp.svc.test", KNOT_RRTYPE_SRV);
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(r.answer[0].data, "1 1 18081 host1.svc.test.");
  ASSERT_EQ(r.additional.size(), 1u);
  EXPECT_EQ(r.additional[0].data, "10.0.0.1");
}

TEST_F(AnswerTest, TxtAndAny) {
  Response txt = ask("CNAME._ecssd.web.svc.test", KNOT_RRTYPE_TXT);
  ASSERT_EQ(txt.answer.size(), 1u);
  EXPECT_EQ(txt.answer[0].data, "\"heritage=ecssd\" \"set=a\"");
  Response any = ask("host2.svc.test", KNOT_RRTYPE_ANY);
  EXPECT_EQ(any.answer.size(), 2u);
  Response any_cname = ask("web.svc.test", KNOT_RRTYPE_ANY);
  ASSERT_EQ(any_cname.answer.size(), 1u);
  EXPECT_EQ(any_cname.answer[0].type, KNOT_RRTYPE_CNAME);
}

TEST_F(AnswerTest, EdnsGetsAnOptWith1232AndDoCopied) {
  QuerySpec s;
  s.name = "host1.svc.test";
  s.edns = true;
  s.edns_size = 4096;
  s.edns_do = true;
  Response r = ask(s);
  ASSERT_TRUE(r.parsed) << r.error;
  EXPECT_TRUE(r.has_opt);
  EXPECT_EQ(r.opt_size, 1232);
  EXPECT_EQ(r.opt_version, 0);
  EXPECT_TRUE(r.opt_do);
  EXPECT_EQ(r.answer.size(), 1u);
  s.edns_do = false;
  EXPECT_FALSE(ask(s).opt_do);
}

TEST_F(AnswerTest, UnknownEdnsVersionGetsBadvers) {
  QuerySpec s;
  s.name = "host1.svc.test";
  s.edns = true;
  s.edns_version = 1;
  Response r = ask(s);
  ASSERT_TRUE(r.parsed) << r.error;
  EXPECT_EQ(r.rcode, KNOT_RCODE_BADVERS);
  EXPECT_TRUE(r.has_opt);
  EXPECT_EQ(r.opt_version, 0);
  EXPECT_TRUE(r.answer.empty());
}

TEST_F(AnswerTest, TruncatesOverUdpAndAnswersInFullOverTcp) {
  Response plain = ask("big.svc.test", KNOT_RRTYPE_A);
  ASSERT_TRUE(plain.parsed) << plain.error;
  EXPECT_TRUE(plain.tc);
  EXPECT_TRUE(plain.answer.empty());
  EXPECT_LE(plain.size, 512u);

  QuerySpec s;
  s.name = "big.svc.test";
  s.edns = true;
  s.edns_size = 4096;  // asks for more than we give
  Response edns = ask(s);
  EXPECT_TRUE(edns.tc);
  EXPECT_TRUE(edns.has_opt);
  EXPECT_LE(edns.size, 1232u);

  Response tcp = ask(s, Transport::kTcp);
  EXPECT_FALSE(tcp.tc);
  EXPECT_EQ(tcp.answer.size(), 100u);
}

TEST_F(AnswerTest, SmallEdnsSizesAreTreatedAs512) {
  QuerySpec s;
  s.name = "_many._tcp.svc.test";
  s.qtype = KNOT_RRTYPE_SRV;
  s.edns = true;
  s.edns_size = 100;
  Response r = ask(s);
  ASSERT_TRUE(r.parsed) << r.error;
  EXPECT_FALSE(r.tc);
  EXPECT_EQ(r.answer.size(), 8u);
}

TEST_F(AnswerTest, DropsTheAdditionalSectionBeforeTruncating) {
  Response r = ask("_many._tcp.svc.test", KNOT_RRTYPE_SRV);
  ASSERT_TRUE(r.parsed) << r.error;
  EXPECT_FALSE(r.tc);
  EXPECT_EQ(r.answer.size(), 8u);
  EXPECT_TRUE(r.additional.empty());
  Response tcp = ask("_many._tcp.svc.test", KNOT_RRTYPE_SRV, Transport::kTcp);
  EXPECT_EQ(tcp.additional.size(), 32u);
}

TEST_F(AnswerTest, CopiesCdAndId) {
  QuerySpec s;
  s.name = "host1.svc.test";
  s.cd = true;
  s.rd = false;
  s.id = 0xbeef;
  Response r = ask(s);
  EXPECT_TRUE(r.cd);
  EXPECT_FALSE(r.rd);
  EXPECT_EQ(r.id, 0xbeef);
}

TEST_F(AnswerTest, NotImplementedOpcodes) {
  for (int op : {1, 2, 3, 4, 5, 15}) {
    QuerySpec s;
    s.name = "svc.test";
    s.qtype = KNOT_RRTYPE_SOA;
    s.opcode = static_cast<uint8_t>(op);
    Response r = ask(s);
    ASSERT_TRUE(r.parsed) << r.error;
    EXPECT_EQ(r.rcode, KNOT_RCODE_NOTIMPL) << int(op);
    EXPECT_EQ(r.opcode, op);
  }
}

TEST_F(AnswerTest, ServfailBeforeAnythingIsPublished) {
  auto out = answer(nullptr, bytes(make_query("host1.svc.test", KNOT_RRTYPE_A)), {});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(parse_response(out[0]).rcode, KNOT_RCODE_SERVFAIL);
}

// --- malformed input -------------------------------------------------------

class MalformedTest : public AnswerTest {
 protected:
  // The rcode of the reply, or -1 when the query is dropped.
  int rcode_of(const std::string& wire) {
    auto out = answer(zone_.get(), bytes(wire), {});
    if (out.empty()) return -1;
    EXPECT_EQ(out.size(), 1u);
    EXPECT_GE(out[0].size(), 12u);
    // Read from the bytes: libknot may not parse a header-only FORMERR reply as we want.
    EXPECT_EQ(static_cast<uint8_t>(out[0][0]), static_cast<uint8_t>(wire[0]));
    EXPECT_TRUE(static_cast<uint8_t>(out[0][2]) & 0x80);
    return static_cast<uint8_t>(out[0][3]) & 0x0f;
  }
  std::string good() { return make_query("host1.svc.test", KNOT_RRTYPE_A); }
};

TEST_F(MalformedTest, ShortPacketsAndResponsesAreDropped) {
  EXPECT_EQ(rcode_of(""), -1);
  EXPECT_EQ(rcode_of(std::string(11, '\0')), -1);
  std::string resp = good();
  resp[2] = static_cast<char>(resp[2] | 0x80);  // QR
  EXPECT_EQ(rcode_of(resp), -1);
}

TEST_F(MalformedTest, HeaderOnlyIsFormerr) {
  std::string q = good().substr(0, 12);
  EXPECT_EQ(rcode_of(q), KNOT_RCODE_FORMERR);
}

TEST_F(MalformedTest, WrongQuestionCounts) {
  std::string q = good();
  q[5] = 0;  // QDCOUNT 0
  EXPECT_EQ(rcode_of(q), KNOT_RCODE_FORMERR);
  q[5] = 2;  // QDCOUNT 2, one question present
  EXPECT_EQ(rcode_of(q), KNOT_RCODE_FORMERR);
  std::string two = good();
  two[5] = 2;
  two += two.substr(12);  // two real questions
  EXPECT_EQ(rcode_of(two), KNOT_RCODE_FORMERR);
}

TEST_F(MalformedTest, TruncatedQuestion) {
  std::string q = good();
  for (size_t cut = 13; cut < q.size(); ++cut) EXPECT_EQ(rcode_of(q.substr(0, cut)), KNOT_RCODE_FORMERR) << cut;
}

TEST_F(MalformedTest, LabelPointersInTheQuestion) {
  std::string header = good().substr(0, 12);
  // A pointer to itself, a pointer forward, a pointer into the header.
  for (std::string name : {std::string("\xc0\x0c", 2), std::string("\xc0\x20", 2), std::string("\x01" "a" "\xc0\x02", 4)}) {
    std::string q = header + name + std::string("\x00\x01\x00\x01", 4);
    EXPECT_EQ(rcode_of(q), KNOT_RCODE_FORMERR);
  }
  // A label length running past the end, and a 64-octet label (0x40 is a reserved label type).
  EXPECT_EQ(rcode_of(header + std::string("\x3f" "abc", 4)), KNOT_RCODE_FORMERR);
  EXPECT_EQ(rcode_of(header + "\x40" + std::string(64, 'a') + std::string("\x00\x00\x01\x00\x01", 5)),
            KNOT_RCODE_FORMERR);
}

TEST_F(MalformedTest, TrailingGarbage) { EXPECT_EQ(rcode_of(good() + "xyz"), KNOT_RCODE_FORMERR); }

TEST_F(MalformedTest, BadOptRecords) {
  QuerySpec s;
  s.name = "host1.svc.test";
  s.edns = true;
  std::string q = make_query(s);
  std::string longer = q;
  longer[longer.size() - 1] = 4;  // RDLENGTH beyond the end
  EXPECT_EQ(rcode_of(longer), KNOT_RCODE_FORMERR);
  std::string bad_option = q;
  bad_option[bad_option.size() - 1] = 4;
  bad_option += std::string("\x00\x0a\x00\x09", 4);  // option claims 9 octets, has none
  EXPECT_EQ(rcode_of(bad_option), KNOT_RCODE_FORMERR);
  std::string two = q;  // two OPT records (RFC 6891 6.1.1)
  two[11] = 2;
  two += q.substr(q.size() - 11);
  EXPECT_EQ(rcode_of(two), KNOT_RCODE_FORMERR);
}

TEST_F(MalformedTest, UnusualButValidShapesAreAnswered) {
  // An answer-section record in a query goes through libknot's parser.
  std::string q = good();
  q[7] = 1;  // ANCOUNT 1
  q += std::string("\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x0a\x00\x04\x0a\x00\x00\x09", 16);
  auto out = answer(zone_.get(), bytes(q), {});
  ASSERT_EQ(out.size(), 1u);
  Response r = parse_response(out[0]);
  EXPECT_EQ(r.rcode, KNOT_RCODE_NOERROR);
  EXPECT_EQ(r.answer.size(), 1u);
}

// --- zone transfer -----------------------------------------------------------

TEST_F(AnswerTest, ZoneTransferOverTcpFromLoopback) {
  auto out = answer(zone_.get(), bytes(make_query("SVC.test", KNOT_RRTYPE_AXFR)), {Transport::kTcp, true});
  ASSERT_GE(out.size(), 1u);
  std::vector<testing::Rr> all;
  for (const auto& m : out) {
    Response r = parse_response(m);
    ASSERT_TRUE(r.parsed) << r.error;
    EXPECT_EQ(r.rcode, KNOT_RCODE_NOERROR);
    EXPECT_TRUE(r.aa);
    all.insert(all.end(), r.answer.begin(), r.answer.end());
  }
  ASSERT_GE(all.size(), 3u);
  EXPECT_EQ(all.front().type, KNOT_RRTYPE_SOA);
  EXPECT_EQ(all.back().type, KNOT_RRTYPE_SOA);
  std::multiset<std::string> web;
  size_t big = 0;
  for (const auto& rr : all) {
    if (rr.owner == "web.svc.test.") web.insert(rr.data);
    if (rr.owner == "big.svc.test.") ++big;
  }
  // Every distinct CNAME target is listed, so that the registry sees them all.
  EXPECT_EQ(web, (std::multiset<std::string>{"host1.svc.test.", "host2.svc.test."}));
  EXPECT_EQ(big, 100u);
  EXPECT_EQ(all.size(), zone_->rr_count() + 1);
}

TEST_F(AnswerTest, ZoneTransferRefusals) {
  auto rc = [&](std::string name, Transport t, bool loopback) {
    auto out = answer(zone_.get(), bytes(make_query(std::move(name), KNOT_RRTYPE_AXFR)), {t, loopback});
    EXPECT_EQ(out.size(), 1u);
    return out.empty() ? -1 : int(parse_response(out[0]).rcode);
  };
  EXPECT_EQ(rc("svc.test", Transport::kUdp, true), KNOT_RCODE_NOTIMPL);
  // IXFR over UDP: the current SOA, so that the client goes on over TCP.
  auto ixfr = answer(zone_.get(), bytes(make_query("svc.test", KNOT_RRTYPE_IXFR)), {Transport::kUdp, false});
  ASSERT_EQ(ixfr.size(), 1u);
  Response soa = parse_response(ixfr[0]);
  EXPECT_EQ(soa.rcode, KNOT_RCODE_NOERROR);
  ASSERT_EQ(soa.answer.size(), 1u);
  EXPECT_EQ(soa.answer[0].type, KNOT_RRTYPE_SOA);
  EXPECT_EQ(soa.qtype, KNOT_RRTYPE_IXFR);
  auto ixfr_tcp = answer(zone_.get(), bytes(make_query("svc.test", KNOT_RRTYPE_IXFR)), {Transport::kTcp, true});
  EXPECT_EQ(ixfr_tcp.size(), 1u);
  EXPECT_EQ(parse_response(ixfr_tcp.at(0)).answer.size(), zone_->rr_count() + 1);
  EXPECT_EQ(rc("svc.test", Transport::kTcp, false), KNOT_RCODE_REFUSED);
  EXPECT_EQ(rc("web.svc.test", Transport::kTcp, true), KNOT_RCODE_NOTAUTH);
  EXPECT_EQ(rc("example.org", Transport::kTcp, true), KNOT_RCODE_REFUSED);
}

TEST(ZoneTransferTest, LargeZonesSpanSeveralMessages) {
  std::vector<Record> rs;
  for (int i = 0; i < 3000; ++i) {
    rs.push_back(rec("name-" + std::to_string(i) + ".svc.test", RecordType::kTXT,
                     {"\"" + std::string(40, 'x') + std::to_string(i) + "\""}));
  }
  auto z = build_zone(options(), rs, 7);
  ASSERT_TRUE(z.ok()) << z.error().describe();
  auto out = answer(z->get(), bytes(make_query("svc.test", KNOT_RRTYPE_AXFR)), {Transport::kTcp, true});
  ASSERT_GT(out.size(), 1u);
  size_t count = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_LE(out[i].size(), 65535u);
    Response r = parse_response(out[i]);
    ASSERT_TRUE(r.parsed) << r.error;
    EXPECT_EQ(r.qdcount, i == 0 ? 1 : 0);
    count += r.answer.size();
  }
  EXPECT_EQ(count, 3000u + 2 + 1);  // records, SOA, NS, closing SOA
}

}  // namespace
}  // namespace ecssd::dns
