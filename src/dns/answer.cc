#include "dns/answer.h"

#include <algorithm>
#include <cstring>
#include <deque>

#include "dns/zone_impl.h"

namespace ecssd::dns {
namespace {

using Impl = ZoneSnapshot::Impl;

constexpr size_t kHeader = KNOT_WIRE_HEADER_SIZE;
constexpr size_t kOptSize = 11;  // root owner, type, class, ttl, rdlength: an OPT without options

enum class Verdict { kOk, kDrop, kFormErr, kNotImp };

struct Query {
  const uint8_t* wire = nullptr;
  size_t question_len = 0;  // QNAME + QTYPE + QCLASS, as received
  uint8_t qname[KNOT_DNAME_MAXLEN];  // lower-case
  size_t qname_len = 0;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  bool edns = false;
  uint16_t edns_size = 0;
  uint8_t edns_version = 0;
  bool edns_do = false;
};

// Checks the options of an OPT RDATA: whole (code, length, data) triples.
bool options_well_formed(const uint8_t* p, const uint8_t* end) {
  while (p < end) {
    if (end - p < 4) return false;
    uint16_t len = knot_wire_read_u16(p + 2);
    p += 4;
    if (static_cast<size_t>(end - p) < len) return false;
    p += len;
  }
  return true;
}

// The rare shapes (records in the answer or authority section, several
// additional records, TSIG) go through libknot's full parser.
Verdict parse_with_libknot(std::span<const uint8_t> in, Query& q) {
  std::vector<uint8_t> copy(in.begin(), in.end());
  detail::PktPtr pkt(knot_pkt_new(copy.data(), copy.size(), nullptr));
  if (!pkt) return Verdict::kDrop;
  if (knot_pkt_parse(pkt.get(), 0) != KNOT_EOK || pkt->qname_size == 0) return Verdict::kFormErr;
  q.question_len = pkt->qname_size + 4u;
  q.qname_len = pkt->qname_size;
  std::memcpy(q.qname, knot_pkt_qname(pkt.get()), q.qname_len);
  q.qtype = knot_pkt_qtype(pkt.get());
  q.qclass = knot_pkt_qclass(pkt.get());
  if (pkt->opt_rr != nullptr) {
    q.edns = true;
    q.edns_size = knot_edns_get_payload(pkt->opt_rr);
    q.edns_version = knot_edns_get_version(pkt->opt_rr);
    q.edns_do = knot_edns_do(pkt->opt_rr);
  }
  return Verdict::kOk;
}

// Parses what the answer needs: header, question, OPT. Hand-written for the
// common shapes (no records, or one OPT record) because knot_pkt_parse
// allocates a packet per query; everything else goes to libknot.
Verdict parse(std::span<const uint8_t> in, Query& q) {
  const uint8_t* p = in.data();
  const size_t len = in.size();
  if (len < kHeader || knot_wire_get_qr(p)) return Verdict::kDrop;
  q.wire = p;
  if (knot_wire_get_opcode(p) != KNOT_OPCODE_QUERY) return Verdict::kNotImp;
  if (knot_wire_get_qdcount(p) != 1) return Verdict::kFormErr;
  const uint8_t* end = p + len;
  int n = knot_dname_wire_check(p + kHeader, end, nullptr);  // no pointers allowed in a lone question
  if (n <= 0 || kHeader + static_cast<size_t>(n) + 4 > len) return Verdict::kFormErr;
  q.qname_len = static_cast<size_t>(n);
  q.question_len = q.qname_len + 4;
  knot_dname_copy_lower(q.qname, p + kHeader);
  size_t pos = kHeader + q.qname_len;
  q.qtype = knot_wire_read_u16(p + pos);
  q.qclass = knot_wire_read_u16(p + pos + 2);
  pos += 4;
  uint16_t an = knot_wire_get_ancount(p), ns = knot_wire_get_nscount(p), ar = knot_wire_get_arcount(p);
  if (an == 0 && ns == 0 && ar == 0) return pos == len ? Verdict::kOk : Verdict::kFormErr;
  if (an == 0 && ns == 0 && ar == 1 && pos + kOptSize <= len && p[pos] == 0 &&
      knot_wire_read_u16(p + pos + 1) == KNOT_RRTYPE_OPT) {
    uint16_t rdlen = knot_wire_read_u16(p + pos + 9);
    if (pos + kOptSize + rdlen != len || !options_well_formed(p + pos + kOptSize, end)) return Verdict::kFormErr;
    q.edns = true;
    q.edns_size = knot_wire_read_u16(p + pos + 3);
    q.edns_version = p[pos + 6];
    q.edns_do = (p[pos + 7] & 0x80) != 0;
    return Verdict::kOk;
  }
  return parse_with_libknot(in, q);
}

class Writer {
 public:
  Writer(const Query& q, const QueryContext& ctx, std::span<uint8_t> out) : q_(q), out_(out) {
    size_t limit = kMaxMessageSize;
    if (ctx.transport == Transport::kUdp) {
      limit = q.edns ? std::clamp<size_t>(q.edns_size, KNOT_WIRE_MIN_PKTSIZE, kEdnsBufferSize)
                     : size_t{KNOT_WIRE_MIN_PKTSIZE};
    }
    limit_ = std::min(limit, out.size());
  }

  // Header only (FORMERR, NOTIMP): nothing after the header can be trusted.
  static AnswerInfo bare(const uint8_t* query, uint16_t rc, std::span<uint8_t> out) {
    std::memset(out.data(), 0, kHeader);
    knot_wire_set_id(out.data(), knot_wire_get_id(query));
    out[2] = static_cast<uint8_t>(0x80 | (query[2] & 0x79));  // QR, opcode and RD as asked
    out[3] = static_cast<uint8_t>(rc & 0x0f);
    return {kHeader, rc, false, false};
  }

  // Header, the question as received, a body (sections after the question)
  // and the OPT RR; drops the additional section, then everything, to fit.
  AnswerInfo write(uint16_t rc, bool aa, const uint8_t* body, size_t size, size_t essential, uint16_t an,
                   uint16_t ns, uint16_t ar) {
    size_t opt = q_.edns ? kOptSize : 0;
    size_t base = kHeader + q_.question_len;
    bool tc = false;
    if (base + size + opt > limit_) {
      ar = 0;
      size = essential;
      if (base + size + opt > limit_) {
        tc = true;
        size = 0;
        an = ns = 0;
      }
    }
    if (base + size + opt > limit_) return {};  // cannot happen with out >= 512; drop rather than overflow
    uint8_t* w = out_.data();
    knot_wire_set_id(w, knot_wire_get_id(q_.wire));
    w[2] = static_cast<uint8_t>(0x80 | (q_.wire[2] & 0x79) | (aa ? 0x04 : 0) | (tc ? 0x02 : 0));
    w[3] = static_cast<uint8_t>((q_.wire[3] & 0x10) | (rc & 0x0f));  // CD copied (RFC 4035 3.1.6)
    knot_wire_set_qdcount(w, 1);
    knot_wire_set_ancount(w, an);
    knot_wire_set_nscount(w, ns);
    knot_wire_set_arcount(w, static_cast<uint16_t>(ar + (opt ? 1 : 0)));
    std::memcpy(w + kHeader, q_.wire + kHeader, q_.question_len);
    if (size > 0) std::memcpy(w + base, body, size);
    size_t at = base + size;
    if (opt) {
      uint8_t* o = w + at;
      o[0] = 0;
      knot_wire_write_u16(o + 1, KNOT_RRTYPE_OPT);
      knot_wire_write_u16(o + 3, kEdnsBufferSize);
      o[5] = static_cast<uint8_t>(rc >> 4);  // extended rcode
      o[6] = 0;                              // version
      o[7] = q_.edns_do ? 0x80 : 0;          // DO copied (RFC 3225)
      o[8] = 0;
      knot_wire_write_u16(o + 9, 0);
      at += opt;
    }
    return {at, rc, tc, false};
  }

  AnswerInfo empty(uint16_t rc, bool aa) { return write(rc, aa, nullptr, 0, 0, 0, 0, 0); }

 private:
  const Query& q_;
  std::span<uint8_t> out_;
  size_t limit_ = 0;
};

bool is_transfer(uint16_t qtype) { return qtype == KNOT_RRTYPE_AXFR || qtype == KNOT_RRTYPE_IXFR; }

}  // namespace

AnswerInfo answer_into(const ZoneSnapshot* zone, std::span<const uint8_t> query, const QueryContext& context,
                       std::span<uint8_t> out) {
  if (out.size() < kMinOutputSize) return {};
  Query q;
  switch (parse(query, q)) {
    case Verdict::kDrop: return {};
    case Verdict::kFormErr: return Writer::bare(query.data(), rcode::kFormErr, out);
    case Verdict::kNotImp: return Writer::bare(query.data(), rcode::kNotImp, out);
    case Verdict::kOk: break;
  }
  Writer w(q, context, out);
  if (q.edns && q.edns_version != 0) return w.empty(rcode::kBadVers, false);
  if (zone == nullptr) return w.empty(rcode::kServFail, false);
  if (q.qclass != KNOT_CLASS_IN) return w.empty(rcode::kRefused, false);

  const Impl& z = zone->impl();
  std::string_view qname(reinterpret_cast<const char*>(q.qname), q.qname_len);
  uint16_t qtype = q.qtype;
  if (is_transfer(qtype)) {
    if (!detail::wire_in_zone(qname, z.apex)) return w.empty(rcode::kRefused, false);
    if (qname != z.apex) return w.empty(rcode::kNotAuth, false);
    if (context.transport != Transport::kTcp) {
      // RFC 1995 section 2: an IXFR over UDP gets the current SOA, which sends
      // the client to TCP. AXFR is defined over TCP only (RFC 5936 4.2).
      if (qtype != KNOT_RRTYPE_IXFR) return w.empty(rcode::kNotImp, false);
      qtype = KNOT_RRTYPE_SOA;
    } else {
      if (!context.peer_loopback) return w.empty(rcode::kRefused, false);
      AnswerInfo info;
      info.transfer = true;
      return info;
    }
  }

  const uint32_t found = z.find(qname);
  if (found == Impl::kEmpty) {
    if (!detail::wire_in_zone(qname, z.apex)) return w.empty(rcode::kRefused, false);
    const auto* soa = reinterpret_cast<const uint8_t*>(z.negative_soa.data());
    return w.write(rcode::kNxDomain, true, soa, z.negative_soa.size(), z.negative_soa.size(), 0, 1, 0);
  }
  const Impl::Node& node = z.nodes[found];
  uint32_t first = node.fallback;
  for (uint32_t e = node.entries_begin; e < node.entries_begin + node.entries_count; ++e) {
    if (z.entries[e].qtype == qtype) {
      first = z.entries[e].first;
      break;
    }
  }
  uint32_t variant = 0;
  if (node.variants > 1) {
    variant = z.rotors[node.rotor].fetch_add(1, std::memory_order_relaxed) % node.variants;
  }
  const Impl::Template& t = z.templates[first + variant];
  const auto* body = reinterpret_cast<const uint8_t*>(z.arena.data()) + t.offset;
  return w.write(t.rcode, true, body, t.size, t.essential, t.an, t.ns, t.ar);
}

std::vector<std::string> transfer(const ZoneSnapshot& zone, std::span<const uint8_t> query) {
  std::vector<std::string> messages;
  Query q;
  if (parse(query, q) != Verdict::kOk) return messages;
  const Impl& z = zone.impl();

  detail::PktPtr pkt;
  std::deque<knot_rrset_t> views;  // one-RR views into the snapshot, alive while pkt refers to them
  auto start = [&](bool question) {
    pkt.reset(knot_pkt_new(nullptr, kMaxMessageSize, nullptr));
    if (!pkt) return false;
    knot_wire_set_id(pkt->wire, knot_wire_get_id(q.wire));
    knot_wire_set_qr(pkt->wire);
    knot_wire_set_aa(pkt->wire);
    if (question) {
      if (knot_pkt_put_question(pkt.get(), q.wire + kHeader, KNOT_CLASS_IN, q.qtype) != KNOT_EOK) return false;
    }
    return knot_pkt_begin(pkt.get(), KNOT_ANSWER) == KNOT_EOK;
  };
  auto flush = [&] {
    messages.emplace_back(reinterpret_cast<const char*>(pkt->wire), pkt->size);
    pkt.reset();
    views.clear();
  };
  auto attempt = [&](const knot_rrset_t& rr, knot_rdata_t* rd) {
    knot_rrset_t& view = views.emplace_back();
    knot_rrset_init(&view, rr.owner, rr.type, rr.rclass, rr.ttl);
    view.rrs.count = 1;
    view.rrs.size = static_cast<uint32_t>(knot_rdata_size(rd->len));
    view.rrs.rdata = rd;
    int ret = knot_pkt_put(pkt.get(), KNOT_COMPR_HINT_NONE, &view, KNOT_PF_NOTRUNC);
    if (ret != KNOT_EOK) views.pop_back();
    return ret;
  };
  auto put = [&](const knot_rrset_t& rr, knot_rdata_t* rd) {
    int ret = attempt(rr, rd);
    if (ret == KNOT_ESPACE) {  // this message is full: start the next one
      flush();
      if (!start(false)) return false;
      ret = attempt(rr, rd);
    }
    return ret == KNOT_EOK;
  };
  auto put_all = [&](const knot_rrset_t& rr) {
    knot_rdata_t* rd = rr.rrs.rdata;
    for (uint16_t i = 0; i < rr.rrs.count; ++i, rd = knot_rdataset_next(rd)) {
      if (!put(rr, rd)) return false;
    }
    return true;
  };

  if (!start(true)) return {};
  for (const auto& rr : z.transfer) {
    if (!put_all(*rr)) return {};
  }
  if (!put_all(*z.transfer.front())) return {};  // the closing SOA
  flush();
  return messages;
}

std::vector<std::string> answer(const ZoneSnapshot* zone, std::span<const uint8_t> query,
                                const QueryContext& context) {
  std::vector<uint8_t> out(kMaxMessageSize);
  AnswerInfo info = answer_into(zone, query, context, out);
  if (info.transfer && zone != nullptr) return transfer(*zone, query);
  if (info.size == 0) return {};
  return {std::string(reinterpret_cast<const char*>(out.data()), info.size)};
}

}  // namespace ecssd::dns
