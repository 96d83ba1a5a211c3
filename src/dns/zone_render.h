#pragma once
// Internal to src/dns (zone.cc): renders one response body with libknot and
// appends it to a snapshot as a Template (dns/zone_impl.h).
#include <cstdint>

#include <fmt/format.h>

#include "common/result.h"
#include "dns/knot_util.h"
#include "dns/zone_impl.h"

namespace ecssd::dns::detail {

// Every template must leave room for the header, the question and our OPT RR.
inline constexpr uint16_t kRenderMax = KNOT_WIRE_MAX_PKTSIZE - 11;

class Renderer {
 public:
  // A response to (qname, qtype) being rendered. Errors: libknot's, with its
  // reason (kInternal).
  static common::Result<Renderer> open(const WireName& qname, uint16_t qtype) {
    PktPtr pkt(knot_pkt_new(nullptr, kRenderMax, nullptr));
    if (!pkt) return knot_failure(KNOT_ENOMEM, "cannot render question");
    int ret = knot_pkt_put_question(pkt.get(), as_dname(qname), KNOT_CLASS_IN, qtype);
    if (ret != KNOT_EOK) return knot_failure(ret, "cannot render question");
    return Renderer(std::move(pkt));
  }

  // Appends rr to `section` (sections must come in order). Errors: kInvalidArgument when the answer outgrows a message.
  common::Status put(knot_section_t section, const knot_rrset_t* rr, uint16_t owner_hint) {
    if (section != current_) {
      if (section == KNOT_ADDITIONAL) essential_ = pkt_->size;
      int ret = knot_pkt_begin(pkt_.get(), section);
      if (ret != KNOT_EOK) return common::make_error(common::ErrorCode::kInternal, "render: " + knot_error(ret));
      current_ = section;
    }
    int ret = knot_pkt_put(pkt_.get(), owner_hint, rr, KNOT_PF_NOTRUNC);
    if (ret != KNOT_EOK) {
      return common::make_error(common::ErrorCode::kInvalidArgument,
                        fmt::format("the answer for {} does not fit in one DNS message ({})",
                                    wire_to_name(rr->owner), knot_error(ret)));
    }
    return {};
  }

  // Compression hint pointing at the first name in the RDATA of the last RR put.
  uint16_t last_rdata_hint() const {
    if (pkt_->rrset_count == 0) return KNOT_COMPR_HINT_NONE;
    return knot_compr_hint(&pkt_->rr_info[pkt_->rrset_count - 1], KNOT_COMPR_HINT_RDATA);
  }

  uint32_t finish(ZoneSnapshot::Impl& z, uint8_t rcode) {
    ZoneSnapshot::Impl::Template t;
    t.offset = static_cast<uint32_t>(z.arena.size());
    t.size = static_cast<uint16_t>(pkt_->size - question_end_);
    t.essential = static_cast<uint16_t>((current_ == KNOT_ADDITIONAL ? essential_ : pkt_->size) - question_end_);
    t.an = knot_wire_get_ancount(pkt_->wire);
    t.ns = knot_wire_get_nscount(pkt_->wire);
    t.ar = knot_wire_get_arcount(pkt_->wire);
    t.rcode = rcode;
    z.arena.append(reinterpret_cast<const char*>(pkt_->wire + question_end_), t.size);
    z.templates.push_back(t);
    return static_cast<uint32_t>(z.templates.size() - 1);
  }

 private:
  explicit Renderer(PktPtr pkt) : pkt_(std::move(pkt)), question_end_(pkt_->size) {}

  PktPtr pkt_;
  size_t question_end_ = 0;
  size_t essential_ = 0;
  knot_section_t current_ = KNOT_ANSWER;
};

}  // namespace ecssd::dns::detail
