#include "dns/zone_records.h"

#include <fmt/format.h>

#include "model/names.h"

namespace ecssd::dns::detail {

using common::ErrorCode;
using common::make_error;

common::Result<ParsedRecord> parse_record(const model::Record& r, std::string_view zone) {
  auto fail = [&](std::string_view why) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("record {}: {}", model::describe(r), why));
  };
  if (!model::in_zone(r.name, zone)) return fail(fmt::format("outside the zone {}", zone));
  auto owner = name_to_wire(r.name, "name");
  if (!owner.ok()) return fail(owner.error().message);
  switch (r.type) {
    case model::RecordType::kA:
    case model::RecordType::kAAAA:
    case model::RecordType::kCNAME:
    case model::RecordType::kTXT:
    case model::RecordType::kSRV:
      break;
    case model::RecordType::kSOA:
    case model::RecordType::kNS:
      return fail("the zone's SOA and NS records are generated from its options, not published");
  }
  if (r.type == model::RecordType::kCNAME && model::names_equal(r.name, zone)) {
    return fail("a CNAME cannot be at the zone apex");
  }
  if (r.values.empty()) return fail("no values");
  if (r.type == model::RecordType::kCNAME && r.values.size() != 1) {
    return fail("a CNAME record has exactly one value");
  }
  ParsedRecord p;
  p.owner = std::move(owner).value();
  p.type = static_cast<uint16_t>(r.type);
  for (const auto& v : r.values) {
    auto w = rdata_to_wire(r.type, v);
    if (!w.ok()) return fail(w.error().message);
    p.rdatas.push_back(std::move(w).value());
  }
  return p;
}

std::string mailbox_to_name(std::string_view mailbox) {
  auto at = mailbox.find('@');
  if (at == std::string_view::npos) return std::string(mailbox);
  std::string out;
  for (char c : mailbox.substr(0, at)) {
    if (c == '.') out += '\\';
    out += c;
  }
  out += '.';
  out += mailbox.substr(at + 1);
  return out;
}

common::Result<SoaNames> soa_names(const ZoneOptions& o) {
  SoaNames n;
  n.zone = model::normalize_name(o.zone);
  if (auto s = model::validate_zone(n.zone); !s.ok()) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("zone \"{}\": {}", o.zone, s.error().message));
  }
  auto apex = name_to_wire(n.zone, "zone");
  if (!apex.ok()) return apex.error();
  auto mname = name_to_wire(o.ns_name.empty() ? "ns." + n.zone : o.ns_name, "name server name");
  if (!mname.ok()) return mname.error();
  auto rname = name_to_wire(o.hostmaster.empty() ? "hostmaster." + n.zone : mailbox_to_name(o.hostmaster),
                                    "hostmaster");
  if (!rname.ok()) return rname.error();
  n.apex = std::move(apex).value();
  n.mname = std::move(mname).value();
  n.rname = std::move(rname).value();
  return n;
}

void put_u16(std::string& out, uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}
void put_u32(std::string& out, uint32_t v) {
  put_u16(out, static_cast<uint16_t>(v >> 16));
  put_u16(out, static_cast<uint16_t>(v & 0xffff));
}

std::string type_name(uint16_t type) {
  char buf[32];
  if (knot_rrtype_to_string(type, buf, sizeof buf) < 0) return std::to_string(type);
  return buf;
}

common::Result<RrsetPtr> make_rrset(const WireName& owner, uint16_t type, uint32_t ttl,
                                    const std::vector<std::string>& rdatas) {
  auto what = [&] {
    return fmt::format("the {} RRset of {}", type_name(type), wire_to_name(as_dname(owner)));
  };
  RrsetPtr rr(knot_rrset_new(as_dname(owner), type, KNOT_CLASS_IN, ttl, nullptr));
  if (!rr) return knot_failure(KNOT_ENOMEM, what());
  for (const auto& d : rdatas) {
    // libknot keeps the set sorted and skips duplicates: identical values are served once.
    int ret = knot_rrset_add_rdata(rr.get(), reinterpret_cast<const uint8_t*>(d.data()),
                                   static_cast<uint16_t>(d.size()), nullptr);
    if (ret != KNOT_EOK) return knot_failure(ret, what());
  }
  return rr;
}

}  // namespace ecssd::dns::detail
