// UPDATE messages read back with libknot: sections, classes and RDATA of
// every prerequisite and update kind (RFC 2136 sections 2.4 and 2.5), size
// bounds, and refusals.
#include "dns/update_message.h"

#include <gtest/gtest.h>

#include "dns/knot_util.h"

namespace ecssd::dns {
namespace {

using model::RecordType;

struct Parsed {
  std::vector<uint8_t> wire;
  detail::PktPtr pkt;
};

Parsed parse(std::vector<uint8_t> wire) {
  Parsed p{std::move(wire), nullptr};
  p.pkt.reset(knot_pkt_new(p.wire.data(), p.wire.size(), nullptr));
  EXPECT_EQ(knot_pkt_parse(p.pkt.get(), 0), KNOT_EOK);
  return p;
}

// "name class type ttl rdlength" of every RR in a section.
std::vector<std::string> rrs(const Parsed& p, knot_section_t section) {
  std::vector<std::string> out;
  const knot_pktsection_t* s = knot_pkt_section(p.pkt.get(), section);
  for (uint16_t i = 0; i < s->count; ++i) {
    const knot_rrset_t* rr = knot_pkt_rr(s, i);
    knot_rdata_t* rd = rr->rrs.rdata;
    for (uint16_t j = 0; j < rr->rrs.count; ++j, rd = knot_rdataset_next(rd)) {
      std::string value;
      if (rd->len > 0) value = " " + detail::rdata_to_text(rr->type, rd->data, rd->len).value();
      out.push_back(detail::wire_to_name(rr->owner) + " " + std::to_string(rr->rclass) + " " +
                    std::to_string(rr->type) + " " + std::to_string(rr->ttl) + " " + std::to_string(rd->len) + value);
    }
  }
  return out;
}

TEST(UpdateMessageTest, EveryKindInItsSection) {
  UpdateRequest r;
  using PK = Prerequisite::Kind;
  using UK = UpdateOp::Kind;
  r.prerequisites = {
      {PK::kRrsetEquals, "_web._tcp.svc.test", RecordType::kSRV, {"1 1 80 h1.svc.test", "1 1 80 h2.svc.test"}},
      {PK::kRrsetExists, "a.svc.test", RecordType::kA, {}},
      {PK::kRrsetAbsent, "web.svc.test", RecordType::kCNAME, {}},
      {PK::kNameInUse, "b.svc.test", RecordType::kA, {}},
      {PK::kNameNotInUse, "c.svc.test", RecordType::kA, {}},
  };
  r.updates = {
      {UK::kAdd, "web.svc.test", RecordType::kA, 10, "10.0.0.1"},
      {UK::kDelete, "_web._tcp.svc.test", RecordType::kSRV, 0, "1 1 80 h1.svc.test"},
      {UK::kDeleteRrset, "old.svc.test", RecordType::kTXT, 0, ""},
      {UK::kDeleteName, "gone.svc.test", RecordType::kA, 0, ""},
  };
  auto wire = build_update("Svc.Test.", r, 0x4242, 0);
  ASSERT_TRUE(wire.ok()) << wire.error().describe();
  auto p = parse(*wire);
  EXPECT_EQ(knot_wire_get_id(p.pkt->wire), 0x4242);
  EXPECT_EQ(knot_wire_get_opcode(p.pkt->wire), KNOT_OPCODE_UPDATE);
  EXPECT_FALSE(knot_wire_get_qr(p.pkt->wire));
  EXPECT_EQ(detail::wire_to_name(knot_pkt_qname(p.pkt.get())), "svc.test");
  EXPECT_EQ(knot_pkt_qtype(p.pkt.get()), KNOT_RRTYPE_SOA);
  EXPECT_EQ(knot_pkt_qclass(p.pkt.get()), KNOT_CLASS_IN);
  // IN=1, NONE=254, ANY=255; SRV=33, A=1, CNAME=5, ANY=255, TXT=16.
  EXPECT_EQ(rrs(p, KNOT_ANSWER), (std::vector<std::string>{
                                     "_web._tcp.svc.test 1 33 0 19 1 1 80 h1.svc.test",
                                     "_web._tcp.svc.test 1 33 0 19 1 1 80 h2.svc.test",
                                     "a.svc.test 255 1 0 0",
                                     "web.svc.test 254 5 0 0",
                                     "b.svc.test 255 255 0 0",
                                     "c.svc.test 254 255 0 0",
                                 }));
  EXPECT_EQ(rrs(p, KNOT_AUTHORITY), (std::vector<std::string>{
                                        "web.svc.test 1 1 10 4 10.0.0.1",
                                        "_web._tcp.svc.test 254 33 0 19 1 1 80 h1.svc.test",
                                        "old.svc.test 255 16 0 0",
                                        "gone.svc.test 255 255 0 0",
                                    }));
}

TEST(UpdateMessageTest, SizeBoundsHoldForWhatIsBuilt) {
  UpdateRequest r;
  size_t bound = update_overhead("svc.test");
  for (int i = 0; i < 200; ++i) {
    UpdateOp add{UpdateOp::Kind::kAdd, "svc-" + std::to_string(i) + ".svc.test", RecordType::kTXT, 10,
                 "\"heritage=ecssd\" \"owner=h1\" \"value=" + std::to_string(i) + "\""};
    bound += *wire_size(add);
    r.updates.push_back(add);
    Prerequisite p{Prerequisite::Kind::kRrsetAbsent, add.name, RecordType::kCNAME, {}};
    bound += *wire_size(p);
    r.prerequisites.push_back(p);
  }
  auto wire = build_update("svc.test", r, 1, 0);
  ASSERT_TRUE(wire.ok());
  EXPECT_LE(wire->size(), bound);
  EXPECT_GT(wire->size(), bound / 3);  // names are compressed, but not by magic
}

TEST(UpdateMessageTest, TooLargeWhenOverTheTcpLimit) {
  UpdateRequest r;
  for (int i = 0; i < 2000; ++i) {
    r.updates.push_back({UpdateOp::Kind::kAdd, "n" + std::to_string(i) + ".svc.test", RecordType::kTXT, 10,
                         "\"" + std::string(60, 'x') + "\""});
  }
  auto wire = build_update("svc.test", r, 1, 0);
  ASSERT_FALSE(wire.ok());
  EXPECT_EQ(wire.error().code, common::ErrorCode::kTooLarge);
  // The reserve for the TSIG RR counts too.
  r.updates.resize(10);
  EXPECT_TRUE(build_update("svc.test", r, 1, 100).ok());
  EXPECT_FALSE(build_update("svc.test", r, 1, 65400).ok());
}

TEST(UpdateMessageTest, RefusesNamesOutsideTheZoneAndBadValues) {
  UpdateRequest outside;
  outside.updates = {{UpdateOp::Kind::kAdd, "web.other.test", RecordType::kA, 10, "10.0.0.1"}};
  auto a = build_update("svc.test", outside, 1, 0);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, common::ErrorCode::kInvalidArgument);
  EXPECT_NE(a.error().message.find("not inside the zone svc.test"), std::string::npos);
  UpdateRequest bad_value;
  bad_value.prerequisites = {{Prerequisite::Kind::kRrsetEquals, "web.svc.test", RecordType::kA, {"10.0.0.300"}}};
  auto b = build_update("svc.test", bad_value, 1, 0);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("web.svc.test A"), std::string::npos);
}

TEST(UpdateMessageTest, RcodeNames) {
  EXPECT_EQ(rcode_name(kRcodeNxRrset), "NXRRSET");
  EXPECT_EQ(rcode_name(kRcodeNotZone), "NOTZONE");
  EXPECT_EQ(rcode_name(kRcodeYxDomain), "YXDOMAIN");
  EXPECT_EQ(rcode_name(3841), "3841");
}

}  // namespace
}  // namespace ecssd::dns
