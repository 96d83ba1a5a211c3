#include "dns/zone.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>

#include "dns/zone_impl.h"
#include "dns/zone_records.h"
#include "dns/zone_render.h"
#include "model/names.h"

namespace ecssd::dns {
namespace {

using common::ErrorCode;
using common::make_error;
using detail::RrsetPtr;
using detail::WireName;
using Impl = ZoneSnapshot::Impl;
using detail::make_rrset;
using detail::parse_record;
using detail::ParsedRecord;
using detail::put_u16;
using detail::put_u32;
using detail::Renderer;
using detail::SoaNames;
using detail::soa_names;
using detail::type_name;

constexpr size_t kMaxChain = 8;  // CNAME hops followed inside the zone

struct CnameTarget {
  WireName target;
  uint32_t ttl;
};

struct NodeBuild {
  WireName owner;
  // Type -> (ttl, RDATA in wire form); CNAMEs are kept apart as variants.
  std::map<uint16_t, std::pair<uint32_t, std::vector<std::string>>> data;
  std::vector<std::tuple<WireName, uint32_t, uint32_t>> cname_records;  // target, ttl, weight
  std::vector<CnameTarget> cnames;    // distinct served targets, sorted
  std::map<uint16_t, RrsetPtr> rrsets;
  std::vector<RrsetPtr> cname_rrs;    // one per variant
};

class Builder {
 public:
  Builder(SoaNames names, const ZoneOptions& o, uint32_t serial) : names_(std::move(names)), options_(o) {
    z_ = std::make_unique<Impl>();
    z_->zone = names_.zone;
    z_->apex = names_.apex;
    z_->serial = serial;
  }

  common::Status add(const model::Record& r) {
    auto p = parse_record(r, names_.zone);
    if (!p.ok()) return p.error();
    NodeBuild& n = node(p->owner);
    if (p->type == KNOT_RRTYPE_CNAME) {
      n.cname_records.emplace_back(p->rdatas.front(), r.ttl, r.weight.value_or(1));
      return {};
    }
    auto& [ttl, rdatas] = n.data.try_emplace(p->type, std::numeric_limits<uint32_t>::max(),
                                             std::vector<std::string>{}).first->second;
    ttl = std::min(ttl, r.ttl);
    for (auto& d : p->rdatas) rdatas.push_back(std::move(d));
    return {};
  }

  common::Result<std::shared_ptr<const ZoneSnapshot>> build() {
    add_apex();
    if (auto s = settle_nodes(); !s.ok()) return s.error();
    auto neg_ttl = std::min(options_.soa_ttl, options_.negative_ttl);
    auto negative_soa = make_rrset(names_.apex, KNOT_RRTYPE_SOA, neg_ttl, {soa_rdata()});
    if (!negative_soa.ok()) return negative_soa.error();
    negative_soa_ = std::move(negative_soa).value();
    z_->negative_soa = uncompressed(*negative_soa_);
    for (auto& [owner, n] : nodes_) {
      if (auto s = render_node(n); !s.ok()) return s.error();
    }
    z_->rotors = std::make_unique<std::atomic<uint32_t>[]>(std::max<size_t>(z_->rotor_count, 1));
    size_t slots = 16;
    while (slots < 2 * z_->nodes.size()) slots *= 2;
    z_->slots.resize(slots);
    for (uint32_t i = 0; i < z_->nodes.size(); ++i) z_->insert(i);
    if (auto s = collect_transfer(); !s.ok()) return s.error();
    z_->arena.shrink_to_fit();
    z_->templates.shrink_to_fit();
    z_->entries.shrink_to_fit();
    z_->nodes.shrink_to_fit();
    return std::make_shared<const ZoneSnapshot>(std::move(z_));
  }

 private:
  NodeBuild& node(const WireName& owner) {
    auto [it, inserted] = nodes_.try_emplace(owner);
    if (inserted) it->second.owner = owner;
    return it->second;
  }

  std::string soa_rdata() const {
    std::string d = names_.mname + names_.rname;
    for (uint32_t v : {z_->serial, options_.refresh, options_.retry, options_.expire, options_.negative_ttl}) put_u32(d, v);
    return d;
  }

  void add_apex() {
    NodeBuild& apex = node(names_.apex);
    apex.data[KNOT_RRTYPE_SOA] = {options_.soa_ttl, {soa_rdata()}};
    apex.data[KNOT_RRTYPE_NS] = {options_.ns_ttl, {names_.mname}};
  }

  // Empty non-terminals, CNAME variants, conflicts, and the libknot RRsets.
  common::Status settle_nodes() {
    std::vector<WireName> owners;
    for (const auto& [owner, n] : nodes_) owners.push_back(owner);
    for (const auto& owner : owners) {
      std::string_view name = owner;
      while (name.size() > names_.apex.size()) {
        name.remove_prefix(1 + static_cast<uint8_t>(name[0]));
        node(WireName(name));  // an ancestor exists (RFC 8020: NODATA, not NXDOMAIN)
      }
    }
    for (auto& [owner, n] : nodes_) {
      if (!n.cname_records.empty() && !n.data.empty()) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("{} has a CNAME and {} records: a CNAME cannot share its name with other data",
                                      detail::wire_to_name(detail::as_dname(owner)),
                                      type_name(n.data.begin()->first)));
      }
      settle_cnames(n);
      for (const auto& [type, d] : n.data) {
        auto rr = make_rrset(owner, type, d.first, d.second);
        if (!rr.ok()) return rr.error();
        n.rrsets.emplace(type, std::move(rr).value());
      }
      for (const auto& c : n.cnames) {
        auto rr = make_rrset(owner, KNOT_RRTYPE_CNAME, c.ttl, {c.target});
        if (!rr.ok()) return rr.error();
        n.cname_rrs.push_back(std::move(rr).value());
      }
    }
    return {};
  }

  // Weight-0 records are left out unless every record has weight 0 (as Route 53 does).
  static void settle_cnames(NodeBuild& n) {
    if (n.cname_records.empty()) return;
    bool any_positive = std::any_of(n.cname_records.begin(), n.cname_records.end(),
                                    [](const auto& c) { return std::get<2>(c) > 0; });
    std::map<WireName, uint32_t> targets;
    for (const auto& [target, ttl, weight] : n.cname_records) {
      if (any_positive && weight == 0) continue;
      auto [it, inserted] = targets.try_emplace(target, ttl);
      if (!inserted) it->second = std::min(it->second, ttl);
    }
    for (auto& [target, ttl] : targets) n.cnames.push_back({target, ttl});
  }

  const NodeBuild* find(const WireName& name) const {
    auto it = nodes_.find(name);
    return it == nodes_.end() ? nullptr : &it->second;
  }

  static std::string uncompressed(const knot_rrset_t& rr) {
    std::string out(reinterpret_cast<const char*>(rr.owner), knot_dname_size(rr.owner));
    put_u16(out, rr.type);
    put_u16(out, rr.rclass);
    put_u32(out, rr.ttl);
    const knot_rdata_t* d = rr.rrs.rdata;
    put_u16(out, d->len);
    out.append(reinterpret_cast<const char*>(d->data), d->len);
    return out;
  }

  // Addresses of in-zone NS and SRV targets go to the additional section.
  common::Status put_additional(Renderer& r, uint16_t type, const knot_rrset_t& rr) {
    if (type != KNOT_RRTYPE_NS && type != KNOT_RRTYPE_SRV) return {};
    std::set<WireName> done;
    knot_rdata_t* d = rr.rrs.rdata;
    for (uint16_t i = 0; i < rr.rrs.count; ++i, d = knot_rdataset_next(d)) {
      const uint8_t* name = d->data + (type == KNOT_RRTYPE_SRV ? 6 : 0);
      WireName target(detail::as_view(name));
      if (!done.insert(target).second) continue;
      const NodeBuild* t = find(target);
      if (t == nullptr) continue;
      for (uint16_t at : {KNOT_RRTYPE_A, KNOT_RRTYPE_AAAA}) {
        auto it = t->rrsets.find(at);
        if (it == t->rrsets.end()) continue;
        if (auto s = r.put(KNOT_ADDITIONAL, it->second.get(), KNOT_COMPR_HINT_NONE); !s.ok()) return s;
      }
    }
    return {};
  }

  // The answer to QTYPE `qtype` at a CNAME node, variant v: the CNAME, then the
  // chain followed inside the zone (as authoritative servers do, RFC 1034 4.3.2).
  common::Result<uint32_t> render_chain(const NodeBuild& n, size_t v, uint16_t qtype) {
    auto opened = Renderer::open(n.owner, qtype);
    if (!opened.ok()) return opened.error();
    Renderer& r = *opened;
    if (auto s = r.put(KNOT_ANSWER, n.cname_rrs[v].get(), KNOT_COMPR_HINT_QNAME); !s.ok()) return s.error();
    uint8_t rcode = KNOT_RCODE_NOERROR;
    WireName cur = n.cnames[v].target;
    std::set<WireName> seen{n.owner};
    for (size_t hop = 0; hop < kMaxChain; ++hop) {
      if (!detail::wire_in_zone(cur, names_.apex) || !seen.insert(cur).second) break;
      uint16_t hint = r.last_rdata_hint();
      const NodeBuild* t = find(cur);
      if (t == nullptr) {
        rcode = KNOT_RCODE_NXDOMAIN;  // RFC 6604: the rcode of the last name in the chain
        if (auto s = r.put(KNOT_AUTHORITY, negative_soa_.get(), KNOT_COMPR_HINT_NONE); !s.ok()) return s.error();
        break;
      }
      if (!t->cname_rrs.empty()) {
        if (auto s = r.put(KNOT_ANSWER, t->cname_rrs.front().get(), hint); !s.ok()) return s.error();
        cur = t->cnames.front().target;
        continue;
      }
      auto it = t->rrsets.find(qtype);
      if (it != t->rrsets.end()) {
        if (auto s = r.put(KNOT_ANSWER, it->second.get(), hint); !s.ok()) return s.error();
      } else if (auto s = r.put(KNOT_AUTHORITY, negative_soa_.get(), KNOT_COMPR_HINT_NONE); !s.ok()) {
        return s.error();
      }
      break;
    }
    return r.finish(*z_, rcode);
  }

  // The types that the chains of a CNAME node can end in.
  std::set<uint16_t> chain_end_types(const NodeBuild& n) const {
    std::set<uint16_t> types;
    for (const auto& c : n.cnames) {
      WireName cur = c.target;
      for (size_t hop = 0; hop < kMaxChain; ++hop) {
        const NodeBuild* t = detail::wire_in_zone(cur, names_.apex) ? find(cur) : nullptr;
        if (t == nullptr) break;
        if (t->cnames.empty()) {
          for (const auto& [type, rr] : t->rrsets) types.insert(type);
          break;
        }
        cur = t->cnames.front().target;
      }
    }
    types.erase(KNOT_RRTYPE_CNAME);
    return types;
  }

  common::Status render_node(const NodeBuild& n) {
    Impl& z = *z_;
    Impl::Node node;
    node.entries_begin = static_cast<uint32_t>(z.entries.size());
    if (!n.cnames.empty()) {
      size_t k = n.cnames.size();
      if (k > std::numeric_limits<uint16_t>::max()) {
        return make_error(ErrorCode::kInvalidArgument, "too many CNAME targets at one name");
      }
      node.variants = static_cast<uint16_t>(k);
      if (k > 1) node.rotor = static_cast<uint32_t>(z.rotor_count++);
      uint32_t first = static_cast<uint32_t>(z.templates.size());
      for (size_t v = 0; v < k; ++v) {
        auto r = Renderer::open(n.owner, KNOT_RRTYPE_CNAME);
        if (!r.ok()) return r.error();
        if (auto s = r->put(KNOT_ANSWER, n.cname_rrs[v].get(), KNOT_COMPR_HINT_QNAME); !s.ok()) return s;
        r->finish(z, KNOT_RCODE_NOERROR);
      }
      z.entries.push_back({KNOT_RRTYPE_CNAME, first});
      z.entries.push_back({KNOT_RRTYPE_ANY, first});
      for (uint16_t type : chain_end_types(n)) {
        first = static_cast<uint32_t>(z.templates.size());
        for (size_t v = 0; v < k; ++v) {
          if (auto t = render_chain(n, v, type); !t.ok()) return t.error();
        }
        z.entries.push_back({type, first});
      }
      node.fallback = static_cast<uint32_t>(z.templates.size());
      for (size_t v = 0; v < k; ++v) {
        if (auto t = render_chain(n, v, 0); !t.ok()) return t.error();
      }
    } else {
      for (const auto& [type, rr] : n.rrsets) {
        auto r = Renderer::open(n.owner, type);
        if (!r.ok()) return r.error();
        if (auto s = r->put(KNOT_ANSWER, rr.get(), KNOT_COMPR_HINT_QNAME); !s.ok()) return s;
        if (auto s = put_additional(*r, type, *rr); !s.ok()) return s;
        z.entries.push_back({type, r->finish(z, KNOT_RCODE_NOERROR)});
      }
      if (n.rrsets.size() == 1 && n.rrsets.begin()->first != KNOT_RRTYPE_NS &&
          n.rrsets.begin()->first != KNOT_RRTYPE_SRV) {
        z.entries.push_back({KNOT_RRTYPE_ANY, z.entries.back().first});  // same bytes: share them
      } else if (!n.rrsets.empty()) {
        auto r = Renderer::open(n.owner, KNOT_RRTYPE_ANY);
        if (!r.ok()) return r.error();
        for (const auto& [type, rr] : n.rrsets) {
          if (auto s = r->put(KNOT_ANSWER, rr.get(), KNOT_COMPR_HINT_QNAME); !s.ok()) return s;
        }
        z.entries.push_back({KNOT_RRTYPE_ANY, r->finish(z, KNOT_RCODE_NOERROR)});
      }
      auto r = Renderer::open(n.owner, 0);  // NODATA (RFC 2308 section 2.2): the SOA in the authority section
      if (!r.ok()) return r.error();
      if (auto s = r->put(KNOT_AUTHORITY, negative_soa_.get(), KNOT_COMPR_HINT_NONE); !s.ok()) return s;
      node.fallback = r->finish(z, KNOT_RCODE_NOERROR);
    }
    node.entries_count = static_cast<uint16_t>(z.entries.size() - node.entries_begin);
    node.key = static_cast<uint32_t>(z.arena.size());
    node.key_size = static_cast<uint8_t>(n.owner.size());
    z.arena += n.owner;
    z.nodes.push_back(node);
    return {};
  }

  // SOA first, the apex NS next, then every other RRset in name order; the
  // CNAME variants of a name are listed together so that a transfer shows them all.
  common::Status collect_transfer() {
    auto& out = z_->transfer;
    NodeBuild& apex = nodes_.at(names_.apex);
    out.push_back(std::move(apex.rrsets.at(KNOT_RRTYPE_SOA)));
    out.push_back(std::move(apex.rrsets.at(KNOT_RRTYPE_NS)));
    apex.rrsets.erase(KNOT_RRTYPE_SOA);
    apex.rrsets.erase(KNOT_RRTYPE_NS);
    for (auto& [owner, n] : nodes_) {
      for (auto& [type, rr] : n.rrsets) out.push_back(std::move(rr));
      if (!n.cnames.empty()) {
        std::vector<std::string> targets;
        uint32_t ttl = std::numeric_limits<uint32_t>::max();
        for (const auto& c : n.cnames) {
          targets.push_back(c.target);
          ttl = std::min(ttl, c.ttl);
        }
        auto rr = make_rrset(owner, KNOT_RRTYPE_CNAME, ttl, targets);
        if (!rr.ok()) return rr.error();
        out.push_back(std::move(rr).value());
      }
    }
    for (const auto& rr : out) z_->rr_count += rr->rrs.count;
    return {};
  }

  SoaNames names_;
  ZoneOptions options_;
  std::unique_ptr<Impl> z_;
  std::map<WireName, NodeBuild> nodes_;
  RrsetPtr negative_soa_;
};

}  // namespace

ZoneSnapshot::Impl::~Impl() = default;

ZoneSnapshot::ZoneSnapshot(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ZoneSnapshot::~ZoneSnapshot() = default;

const std::string& ZoneSnapshot::zone() const { return impl_->zone; }
uint32_t ZoneSnapshot::serial() const { return impl_->serial; }
size_t ZoneSnapshot::name_count() const { return impl_->nodes.size(); }
size_t ZoneSnapshot::rr_count() const { return impl_->rr_count; }

size_t ZoneSnapshot::memory_bytes() const {
  const Impl& z = *impl_;
  size_t bytes = sizeof(Impl) + z.arena.capacity() + z.templates.capacity() * sizeof(Impl::Template) +
                 z.entries.capacity() * sizeof(Impl::Entry) + z.nodes.capacity() * sizeof(Impl::Node) +
                 z.rotor_count * sizeof(std::atomic<uint32_t>) + z.negative_soa.capacity();
  bytes += z.slots.capacity() * sizeof(Impl::Slot);
  for (const auto& rr : z.transfer) {
    bytes += sizeof(knot_rrset_t) + knot_dname_size(rr->owner) + rr->rrs.size;
  }
  return bytes;
}

std::vector<model::Record> ZoneSnapshot::apex_records() const {
  std::vector<model::Record> out;
  for (size_t i = 0; i < 2 && i < impl_->transfer.size(); ++i) {
    const knot_rrset_t& rr = *impl_->transfer[i];
    model::Record r;
    r.name = impl_->zone;
    r.type = static_cast<model::RecordType>(rr.type);
    r.ttl = rr.ttl;
    knot_rdata_t* rd = rr.rrs.rdata;
    for (uint16_t j = 0; j < rr.rrs.count; ++j, rd = knot_rdataset_next(rd)) {
      auto text = detail::rdata_to_text(rr.type, rd->data, rd->len);
      if (text.ok()) r.values.push_back(std::move(text).value());
    }
    out.push_back(std::move(r));
  }
  return out;
}

common::Status validate(const ZoneOptions& options) {
  auto n = soa_names(options);
  if (!n.ok()) return n.error();
  return {};
}

common::Status check_record(const model::Record& record, std::string_view zone) {
  auto p = parse_record(record, model::normalize_name(zone));
  if (!p.ok()) return p.error();
  return {};
}

common::Result<model::Record> canonical_record(model::Record record) {
  record.name = model::normalize_name(record.name);
  for (auto& v : record.values) {
    auto wire = detail::rdata_to_wire(record.type, v);
    if (!wire.ok()) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("record {}: {}", model::describe(record), wire.error().message));
    }
    auto text = detail::rdata_to_text(static_cast<uint16_t>(record.type),
                                      reinterpret_cast<const uint8_t*>(wire->data()), wire->size());
    if (!text.ok()) return text.error();
    v = std::move(text).value();
  }
  return record;
}

common::Result<std::shared_ptr<const ZoneSnapshot>> build_zone(const ZoneOptions& options,
                                                               const std::vector<model::Record>& records,
                                                               uint32_t serial) {
  auto names = soa_names(options);
  if (!names.ok()) return names.error();
  try {
    Builder b(std::move(names).value(), options, serial);
    for (const auto& r : records) {
      if (auto s = b.add(r); !s.ok()) return s.error();
    }
    return b.build();
  } catch (const std::exception& e) {
    // libknot's failures are values already; what is left is a std container
    // running out of memory: keep it a value too.
    return make_error(ErrorCode::kInternal, fmt::format("building the zone snapshot failed: {}", e.what()));
  }
}

}  // namespace ecssd::dns
