#pragma once
// Internal to src/dns (zone.cc): a published record checked and turned into
// wire form, the SOA's names from the zone options, and libknot RRsets.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "dns/knot_util.h"
#include "dns/zone.h"
#include "model/record.h"

namespace ecssd::dns::detail {

struct ParsedRecord {
  WireName owner;
  uint16_t type = 0;
  std::vector<std::string> rdatas;
};

// The record in wire form, if the zone can hold it. Errors: kInvalidArgument
// naming the record and why (outside the zone, SOA/NS, a CNAME at the apex or
// with several values, no values, a value that does not parse).
common::Result<ParsedRecord> parse_record(const model::Record& r, std::string_view zone);

// "hostmaster@example.com" -> "hostmaster.example.com" (dots in the local part escaped).
std::string mailbox_to_name(std::string_view mailbox);

struct SoaNames {
  std::string zone;
  WireName apex, mname, rname;
};
// The zone's apex and its SOA's MNAME and RNAME. Errors: kInvalidArgument
// naming the option.
common::Result<SoaNames> soa_names(const ZoneOptions& o);

void put_u16(std::string& out, uint16_t v);
void put_u32(std::string& out, uint32_t v);
std::string type_name(uint16_t type);

// Errors: libknot's, with its reason (knot_failure): kInvalidArgument for more
// values than an RRset holds, kInternal for running out of memory.
common::Result<RrsetPtr> make_rrset(const WireName& owner, uint16_t type, uint32_t ttl,
                                    const std::vector<std::string>& rdatas);

}  // namespace ecssd::dns::detail
