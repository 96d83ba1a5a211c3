// libknot's failures as errors: the reason libknot gives is kept (zone.cc
// used to turn every one into bad_alloc).
#include "dns/knot_util.h"

#include <gtest/gtest.h>

namespace ecssd::dns::detail {
namespace {

using common::ErrorCode;

TEST(KnotFailure, KeepsLibknotsReasonAndTellsBoundsFromTrouble) {
  // An RRset of more than 65535 values, or an answer over 65535 octets.
  auto full = knot_failure(KNOT_ESPACE, "the A RRset of many.svc.test");
  EXPECT_EQ(full.code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(full.transient);
  EXPECT_EQ(full.message, std::string("the A RRset of many.svc.test: ") + knot_strerror(KNOT_ESPACE));
  EXPECT_EQ(knot_failure(KNOT_ERANGE, "x").code, ErrorCode::kInvalidArgument);

  auto memory = knot_failure(KNOT_ENOMEM, "cannot render question");
  EXPECT_EQ(memory.code, ErrorCode::kInternal);
  EXPECT_EQ(memory.message, std::string("cannot render question: ") + knot_strerror(KNOT_ENOMEM));
  EXPECT_EQ(memory.message.find("bad_alloc"), std::string::npos);
  EXPECT_EQ(knot_failure(KNOT_EINVAL, "x").code, ErrorCode::kInternal);
}

TEST(KnotFailure, ReasonsAreLibknotsOwnWords) {
  EXPECT_EQ(knot_error(KNOT_ESPACE), knot_strerror(KNOT_ESPACE));
  EXPECT_FALSE(knot_error(KNOT_ENOMEM).empty());
}

// Found by fuzz/axfr_response (fuzz/axfr_response/regressions/): a name with
// an escaped dot, as wire_to_name writes it, did not parse back.
TEST(NameToWire, ReadsBackWhatWireToNameWrites) {
  for (std::string_view text : {"h1.sv\\..test", "a\\.", "a\\\\.b", "x\\007y.test", "web.svc.test"}) {
    auto wire = name_to_wire(text, "name");
    ASSERT_TRUE(wire.ok()) << text << ": " << wire.error().message;
    EXPECT_EQ(wire_to_name(as_dname(*wire)), text);
  }
  // "a.." was read as "a." (found by fuzz/tsig_keys, regressions/key_name_ending_in_two_dots).
  for (std::string_view bad : {"a..b", ".a", "", ".", "a\\", "a..", "a.b.."}) {
    EXPECT_FALSE(name_to_wire(bad, "name").ok()) << bad;
  }
}

// Found by fuzz/axfr_response (regressions/root_name_in_soa): the root inside
// RDATA (an SRV target of "." means no service; an SOA may name no primary)
// was written as "" and did not parse back.
TEST(Rdata, TheRootInsideRdataIsADot) {
  using model::RecordType;
  for (auto [type, text] : {std::pair{RecordType::kSRV, std::string_view("0 0 0 .")},
                            std::pair{RecordType::kSOA, std::string_view(". . 1 2 3 4 5")},
                            std::pair{RecordType::kSOA, std::string_view(". hostmaster.svc.test 1 2 3 4 5")},
                            std::pair{RecordType::kNS, std::string_view(".")}}) {
    auto wire = rdata_to_wire(type, text);
    ASSERT_TRUE(wire.ok()) << text << ": " << wire.error().message;
    auto back = rdata_to_text(static_cast<uint16_t>(type), reinterpret_cast<const uint8_t*>(wire->data()), wire->size());
    ASSERT_TRUE(back.ok()) << text;
    EXPECT_EQ(*back, text);
  }
  EXPECT_FALSE(rdata_to_wire(RecordType::kCNAME, "").ok());
  EXPECT_FALSE(name_to_wire(".", "zone").ok());  // still no record name
}

}  // namespace
}  // namespace ecssd::dns::detail
