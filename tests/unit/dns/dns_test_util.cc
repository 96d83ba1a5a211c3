#include "unit/dns/dns_test_util.h"

#include <memory>
#include <stdexcept>
#include <vector>

namespace ecssd::dns::testing {
namespace {

struct PktFree {
  void operator()(knot_pkt_t* p) const { knot_pkt_free(p); }
};

std::string text_of(const knot_rrset_t* rr, uint16_t pos) {
  char buf[70000];
  int n = knot_rrset_txt_dump_data(rr, pos, buf, sizeof buf, &KNOT_DUMP_STYLE_DEFAULT);
  if (n < 0) return "<dump error>";
  return std::string(buf, static_cast<size_t>(n));
}

std::string name_of(const knot_dname_t* d) {
  char buf[KNOT_DNAME_TXT_MAXLEN + 1];
  return knot_dname_to_str(buf, d, sizeof buf) ? buf : "<bad name>";
}

}  // namespace

std::string make_query(const QuerySpec& spec) {
  std::unique_ptr<knot_pkt_t, PktFree> pkt(knot_pkt_new(nullptr, KNOT_WIRE_MAX_PKTSIZE, nullptr));
  uint8_t name[KNOT_DNAME_MAXLEN];
  if (!knot_dname_from_str(name, spec.name.c_str(), sizeof name)) throw std::runtime_error("bad name " + spec.name);
  knot_wire_set_id(pkt->wire, spec.id);
  knot_wire_set_opcode(pkt->wire, spec.opcode);
  if (spec.rd) knot_wire_set_rd(pkt->wire);
  if (spec.cd) knot_wire_set_cd(pkt->wire);
  if (knot_pkt_put_question(pkt.get(), name, spec.qclass, spec.qtype) != KNOT_EOK) throw std::runtime_error("question");
  if (spec.edns) {
    knot_rrset_t opt;
    if (knot_edns_init(&opt, spec.edns_size, 0, spec.edns_version, nullptr) != KNOT_EOK) throw std::runtime_error("edns");
    if (spec.edns_do) knot_edns_set_do(&opt);
    knot_pkt_begin(pkt.get(), KNOT_ADDITIONAL);
    if (knot_pkt_put(pkt.get(), KNOT_COMPR_HINT_NONE, &opt, KNOT_PF_FREE) != KNOT_EOK) throw std::runtime_error("opt");
  }
  return std::string(reinterpret_cast<const char*>(pkt->wire), pkt->size);
}

Response parse_response(std::string_view wire) {
  Response r;
  r.size = wire.size();
  std::vector<uint8_t> copy(wire.begin(), wire.end());
  std::unique_ptr<knot_pkt_t, PktFree> pkt(knot_pkt_new(copy.data(), copy.size(), nullptr));
  int ret = knot_pkt_parse(pkt.get(), 0);
  if (ret != KNOT_EOK) {
    r.error = knot_strerror(ret);
    return r;
  }
  r.parsed = true;
  const uint8_t* w = pkt->wire;
  r.id = knot_wire_get_id(w);
  r.qr = knot_wire_get_qr(w);
  r.aa = knot_wire_get_aa(w);
  r.tc = knot_wire_get_tc(w);
  r.rd = knot_wire_get_rd(w);
  r.ra = knot_wire_get_ra(w);
  r.cd = knot_wire_get_cd(w);
  r.opcode = knot_wire_get_opcode(w);
  r.rcode = knot_pkt_ext_rcode(pkt.get());
  r.qdcount = knot_wire_get_qdcount(w);
  if (pkt->qname_size > 0) {
    r.qname = name_of(knot_pkt_wire_qname(pkt.get()));
    r.qtype = knot_pkt_qtype(pkt.get());
  }
  std::vector<Rr>* sections[] = {&r.answer, &r.authority, &r.additional};
  for (int s = KNOT_ANSWER; s <= KNOT_ADDITIONAL; ++s) {
    const knot_pktsection_t* sec = knot_pkt_section(pkt.get(), static_cast<knot_section_t>(s));
    for (uint16_t i = 0; i < sec->count; ++i) {
      const knot_rrset_t* rr = knot_pkt_rr(sec, i);
      if (rr->type == KNOT_RRTYPE_OPT) continue;
      for (uint16_t j = 0; j < rr->rrs.count; ++j) {
        sections[s - KNOT_ANSWER]->push_back({name_of(rr->owner), rr->type, rr->ttl, text_of(rr, j)});
      }
    }
  }
  if (pkt->opt_rr) {
    r.has_opt = true;
    r.opt_size = knot_edns_get_payload(pkt->opt_rr);
    r.opt_version = knot_edns_get_version(pkt->opt_rr);
    r.opt_do = knot_edns_do(pkt->opt_rr);
  }
  return r;
}

}  // namespace ecssd::dns::testing
