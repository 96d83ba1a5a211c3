#include "dns/update_message.h"

#include <cstdlib>

#include <fmt/format.h>

#include "dns/knot_util.h"
#include "model/names.h"

namespace ecssd::dns {
namespace {

using common::ErrorCode;
using common::make_error;

// Octets of an RR besides its owner name and RDATA: type, class, TTL, RDLENGTH.
constexpr size_t kRrFixed = 10;
constexpr size_t kHeader = 12;

size_t name_bound(std::string_view name) { return name.size() + 2; }  // labels + root, uncompressed

struct Shape {
  uint16_t rclass;
  uint16_t type;
  uint32_t ttl;
  std::vector<std::string> values;  // presentation; empty for RDLENGTH 0
};

Shape shape_of(const Prerequisite& p) {
  auto type = static_cast<uint16_t>(p.type);
  switch (p.kind) {
    case Prerequisite::Kind::kRrsetEquals: return {KNOT_CLASS_IN, type, 0, p.values};
    case Prerequisite::Kind::kRrsetExists: return {KNOT_CLASS_ANY, type, 0, {}};
    case Prerequisite::Kind::kRrsetAbsent: return {KNOT_CLASS_NONE, type, 0, {}};
    case Prerequisite::Kind::kNameInUse: return {KNOT_CLASS_ANY, KNOT_RRTYPE_ANY, 0, {}};
    case Prerequisite::Kind::kNameNotInUse: return {KNOT_CLASS_NONE, KNOT_RRTYPE_ANY, 0, {}};
  }
  return {};
}

Shape shape_of(const UpdateOp& u) {
  auto type = static_cast<uint16_t>(u.type);
  switch (u.kind) {
    case UpdateOp::Kind::kAdd: return {KNOT_CLASS_IN, type, u.ttl, {u.value}};
    case UpdateOp::Kind::kDelete: return {KNOT_CLASS_NONE, type, 0, {u.value}};
    case UpdateOp::Kind::kDeleteRrset: return {KNOT_CLASS_ANY, type, 0, {}};
    case UpdateOp::Kind::kDeleteName: return {KNOT_CLASS_ANY, KNOT_RRTYPE_ANY, 0, {}};
  }
  return {};
}

common::Result<size_t> size_of(std::string_view name, const Shape& s) {
  if (s.values.empty()) return name_bound(name) + kRrFixed;
  size_t total = 0;
  for (const auto& v : s.values) {
    auto rdata = detail::rdata_to_wire(static_cast<model::RecordType>(s.type), v);
    if (!rdata.ok()) return rdata.error();
    total += name_bound(name) + kRrFixed + rdata->size();
  }
  return total;
}

// Writes one entry (several RRs for an RRset prerequisite) into the current section.
common::Status put(knot_pkt_t* pkt, std::string_view zone, std::string_view name, const Shape& s) {
  std::string normalized = model::normalize_name(name);
  if (!model::in_zone(normalized, zone)) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("{} is not inside the zone {}", normalized, zone));
  }
  auto owner = detail::name_to_wire(normalized, "record name");
  if (!owner.ok()) return owner.error();
  knot_rrset_t* rr = knot_rrset_new(detail::as_dname(*owner), s.type, s.rclass, s.ttl, nullptr);
  if (rr == nullptr) return make_error(ErrorCode::kInternal, "out of memory");
  detail::RrsetPtr guard(rr);
  if (s.values.empty()) {
    if (knot_rrset_add_rdata(rr, nullptr, 0, nullptr) != KNOT_EOK) return make_error(ErrorCode::kInternal, "out of memory");
  }
  for (const auto& v : s.values) {
    auto rdata = detail::rdata_to_wire(static_cast<model::RecordType>(s.type), v);
    if (!rdata.ok()) {
      return make_error(ErrorCode::kInvalidArgument, fmt::format("{} {}: {}", normalized,
                                                                 model::to_string(static_cast<model::RecordType>(s.type)),
                                                                 rdata.error().message));
    }
    if (knot_rrset_add_rdata(rr, reinterpret_cast<const uint8_t*>(rdata->data()),
                             static_cast<uint16_t>(rdata->size()), nullptr) != KNOT_EOK) {
      return make_error(ErrorCode::kInternal, "out of memory");
    }
  }
  int ret = knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, rr, KNOT_PF_FREE);
  if (ret == KNOT_ESPACE) {
    return make_error(ErrorCode::kTooLarge, fmt::format("the UPDATE message exceeds {} octets", kMaxTcpMessage));
  }
  if (ret != KNOT_EOK) {
    return make_error(ErrorCode::kInternal, fmt::format("writing {}: {}", normalized, detail::knot_error(ret)));
  }
  // The packet copied the RRset and frees its owner and RDATA (KNOT_PF_FREE);
  // the struct knot_rrset_new allocated stays ours.
  guard.release();
  std::free(rr);
  return {};
}

}  // namespace

size_t update_overhead(std::string_view zone) { return kHeader + name_bound(zone) + 4; }

common::Result<size_t> wire_size(const Prerequisite& p) { return size_of(p.name, shape_of(p)); }
common::Result<size_t> wire_size(const UpdateOp& u) { return size_of(u.name, shape_of(u)); }

common::Result<std::vector<uint8_t>> build_update(std::string_view zone_name, const UpdateRequest& request, uint16_t id,
                                                  size_t reserve) {
  if (reserve >= kMaxTcpMessage) return make_error(ErrorCode::kInvalidArgument, "no room for the message");
  std::string zone = model::normalize_name(zone_name);
  auto zone_wire = detail::name_to_wire(zone, "zone");
  if (!zone_wire.ok()) return zone_wire.error();
  detail::PktPtr pkt(knot_pkt_new(nullptr, kMaxTcpMessage - reserve, nullptr));
  if (!pkt) return make_error(ErrorCode::kInternal, "out of memory");
  knot_wire_set_id(pkt->wire, id);
  knot_wire_set_opcode(pkt->wire, KNOT_OPCODE_UPDATE);
  // The zone section is the question section of an UPDATE (RFC 2136 section 2.3).
  if (knot_pkt_put_question(pkt.get(), detail::as_dname(*zone_wire), KNOT_CLASS_IN, KNOT_RRTYPE_SOA) != KNOT_EOK) {
    return make_error(ErrorCode::kInternal, "cannot write the zone section");
  }
  if (knot_pkt_begin(pkt.get(), KNOT_ANSWER) != KNOT_EOK) return make_error(ErrorCode::kInternal, "packet section");
  for (const auto& p : request.prerequisites) {
    if (auto s = put(pkt.get(), zone, p.name, shape_of(p)); !s.ok()) return s.error();
  }
  if (knot_pkt_begin(pkt.get(), KNOT_AUTHORITY) != KNOT_EOK) return make_error(ErrorCode::kInternal, "packet section");
  for (const auto& u : request.updates) {
    if (auto s = put(pkt.get(), zone, u.name, shape_of(u)); !s.ok()) return s.error();
  }
  std::vector<uint8_t> out;
  out.reserve(kMaxTcpMessage);
  out.assign(pkt->wire, pkt->wire + pkt->size);
  return out;
}

std::string rcode_name(uint16_t rcode) {
  const knot_lookup_t* item = knot_lookup_by_id(knot_rcode_names, rcode);
  return item ? item->name : std::to_string(rcode);
}

}  // namespace ecssd::dns
