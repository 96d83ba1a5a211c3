#pragma once
// DNS UPDATE messages (RFC 2136): the zone, prerequisites and updates in the
// model's presentation form, rendered to wire format with libknot.
//
// Section 2.4 prerequisites are evaluated by the server before any update,
// all or nothing: a message whose prerequisites fail changes nothing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/record.h"

namespace ecssd::dns {

struct Prerequisite {
  enum class Kind {
    kRrsetEquals,   // 2.4.2: the RRset (name, type) holds exactly `values` (fails: NXRRSET)
    kRrsetExists,   // 2.4.1: the RRset exists, whatever it holds (fails: NXRRSET)
    kRrsetAbsent,   // 2.4.3: no RRset (name, type) (fails: YXRRSET)
    kNameInUse,     // 2.4.4: the name owns some RR (fails: NXDOMAIN)
    kNameNotInUse,  // 2.4.5: the name owns no RR at all (fails: YXDOMAIN)
  };
  Kind kind = Kind::kRrsetEquals;
  std::string name;
  model::RecordType type = model::RecordType::kA;  // unused for the name kinds
  std::vector<std::string> values;                 // kRrsetEquals only
  bool operator==(const Prerequisite&) const = default;
};

struct UpdateOp {
  enum class Kind {
    kAdd,           // 2.5.1: add the RR (a no-op when it is there)
    kDelete,        // 2.5.4: delete the RR (name, type, value)
    kDeleteRrset,   // 2.5.2: delete every RR of (name, type)
    kDeleteName,    // 2.5.3: delete every RR of the name
  };
  Kind kind = Kind::kAdd;
  std::string name;
  model::RecordType type = model::RecordType::kA;
  uint32_t ttl = 0;   // kAdd only
  std::string value;  // kAdd and kDelete
  bool operator==(const UpdateOp&) const = default;
};

struct UpdateRequest {
  std::vector<Prerequisite> prerequisites;
  std::vector<UpdateOp> updates;
  bool operator==(const UpdateRequest&) const = default;
};

// The largest DNS message over TCP (RFC 1035 section 4.2.2's 16-bit length).
inline constexpr size_t kMaxTcpMessage = 65535;
// The header and the zone section of an UPDATE for `zone`.
size_t update_overhead(std::string_view zone);
// Upper bounds of the octets one entry takes in a message (names counted
// uncompressed, so a message packed by these bounds always fits).
// Errors: those of rdata_to_wire for a value that does not parse.
common::Result<size_t> wire_size(const Prerequisite& p);
common::Result<size_t> wire_size(const UpdateOp& u);

// The UPDATE message for `zone` with message id `id`, unsigned, leaving
// `reserve` octets of room (for the TSIG RR) under kMaxTcpMessage.
// Errors: kInvalidArgument for a name outside the zone, a bad name or a value
// that does not parse (the message names it); kTooLarge when it does not fit.
common::Result<std::vector<uint8_t>> build_update(std::string_view zone, const UpdateRequest& request, uint16_t id,
                                                  size_t reserve);

// RCODE names as the RFCs spell them ("NXRRSET"), or the number.
std::string rcode_name(uint16_t rcode);

// RCODEs an UPDATE answer may carry (RFC 1035, RFC 2136 section 2.2).
inline constexpr uint16_t kRcodeNoError = 0;
inline constexpr uint16_t kRcodeFormErr = 1;
inline constexpr uint16_t kRcodeServFail = 2;
inline constexpr uint16_t kRcodeNxDomain = 3;
inline constexpr uint16_t kRcodeNotImp = 4;
inline constexpr uint16_t kRcodeRefused = 5;
inline constexpr uint16_t kRcodeYxDomain = 6;
inline constexpr uint16_t kRcodeYxRrset = 7;
inline constexpr uint16_t kRcodeNxRrset = 8;
inline constexpr uint16_t kRcodeNotAuth = 9;
inline constexpr uint16_t kRcodeNotZone = 10;

}  // namespace ecssd::dns
