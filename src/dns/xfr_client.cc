#include "dns/xfr_client.h"

#include <cstdlib>

#include <random>

#include <fmt/format.h>

#include "dns/knot_util.h"
#include "dns/tcp_exchange.h"
#include "dns/update_message.h"
#include "model/names.h"

namespace ecssd::dns {
namespace {

using common::ErrorCode;
using common::make_error;
using model::RecordType;

uint16_t next_id() {
  static thread_local std::mt19937 ids{std::random_device{}()};
  return static_cast<uint16_t>(ids());
}

// A query for (zone, qtype); with `authority`, that SOA in the authority
// section (an IXFR request names the client's version so).
common::Result<std::vector<uint8_t>> build_query(const std::string& zone, uint16_t qtype, uint16_t id,
                                                 const std::optional<Rr>& authority) {
  auto zone_wire = detail::name_to_wire(zone, "zone");
  if (!zone_wire.ok()) return zone_wire.error();
  detail::PktPtr pkt(knot_pkt_new(nullptr, KNOT_WIRE_MAX_PKTSIZE, nullptr));
  if (!pkt) return make_error(ErrorCode::kInternal, "out of memory");
  knot_wire_set_id(pkt->wire, id);
  if (knot_pkt_put_question(pkt.get(), detail::as_dname(*zone_wire), KNOT_CLASS_IN, qtype) != KNOT_EOK) {
    return make_error(ErrorCode::kInternal, "cannot write the question");
  }
  if (authority) {
    auto rdata = detail::rdata_to_wire(RecordType::kSOA, authority->value);
    if (!rdata.ok()) return rdata.error();
    knot_rrset_t* rr = knot_rrset_new(detail::as_dname(*zone_wire), KNOT_RRTYPE_SOA, KNOT_CLASS_IN, authority->ttl,
                                      nullptr);
    if (rr == nullptr) return make_error(ErrorCode::kInternal, "out of memory");
    detail::RrsetPtr guard(rr);
    if (knot_rrset_add_rdata(rr, reinterpret_cast<const uint8_t*>(rdata->data()), static_cast<uint16_t>(rdata->size()),
                             nullptr) != KNOT_EOK ||
        knot_pkt_begin(pkt.get(), KNOT_AUTHORITY) != KNOT_EOK ||
        knot_pkt_put(pkt.get(), KNOT_COMPR_HINT_NONE, rr, KNOT_PF_FREE) != KNOT_EOK) {
      return make_error(ErrorCode::kInternal, "cannot write the IXFR authority section");
    }
    // The packet copied the RRset and frees its owner and RDATA (KNOT_PF_FREE).
    guard.release();
    std::free(rr);
  }
  return std::vector<uint8_t>(pkt->wire, pkt->wire + pkt->size);
}

bool modelled(uint16_t type) {
  switch (type) {
    case KNOT_RRTYPE_A: case KNOT_RRTYPE_AAAA: case KNOT_RRTYPE_CNAME: case KNOT_RRTYPE_NS:
    case KNOT_RRTYPE_TXT: case KNOT_RRTYPE_SRV: case KNOT_RRTYPE_SOA:
      return true;
    default: return false;
  }
}

// Reads the RRs of a transfer in order and tells its shape (RFC 1995 section
// 4): SOA alone (up to date); SOA, SOA(old), removals, SOA(new), additions...
// SOA (incremental); SOA, records, SOA (full).
class TransferReader {
 public:
  TransferReader(std::string zone, std::optional<uint32_t> since, size_t max_records, std::string what)
      : zone_(std::move(zone)), since_(since), max_records_(max_records), what_(std::move(what)) {}

  // Takes in one message. Returns true when the transfer is complete.
  common::Result<bool> absorb(const knot_pkt_t* pkt) {
    const knot_pktsection_t* answer = knot_pkt_section(pkt, KNOT_ANSWER);
    if (answer->count == 0) return protocol("a message without records");
    for (uint16_t i = 0; i < answer->count; ++i) {
      if (done_) return protocol("records after the closing SOA");
      if (auto s = take(*knot_pkt_rr(answer, i)); !s.ok()) return s.error();
    }
    // An IXFR answered with the SOA alone: the client is current.
    if (!done_ && since_ && count_ == 1 && out_.serial == *since_) {
      out_.kind = Transfer::Kind::kUpToDate;
      done_ = true;
    }
    return done_;
  }

  Transfer take_result() { return std::move(out_); }

 private:
  enum class State { kStart, kAfterFirst, kFull, kRemoving, kAdding };

  common::Error protocol(std::string_view why) const {
    return make_error(ErrorCode::kProtocol, fmt::format("{}: {}", what_, why));
  }

  common::Status take(const knot_rrset_t& rrset) {
    std::string owner = detail::wire_to_name(rrset.owner);
    if (rrset.rclass != KNOT_CLASS_IN || !model::in_zone(owner, zone_)) {
      return protocol(fmt::format("record {} is not in class IN of the zone", owner));
    }
    knot_rdata_t* rd = rrset.rrs.rdata;
    for (uint16_t j = 0; j < rrset.rrs.count; ++j, rd = knot_rdataset_next(rd)) {
      if (!modelled(rrset.type)) {
        ++out_.skipped;
        continue;
      }
      auto text = detail::rdata_to_text(rrset.type, rd->data, rd->len);
      if (!text.ok()) return protocol(text.error().message);
      if (++count_ > max_records_) {
        return make_error(ErrorCode::kTooLarge, fmt::format("{}: over {} records", what_, max_records_));
      }
      Rr rr{owner, static_cast<RecordType>(rrset.type), rrset.ttl, std::move(text).value()};
      if (auto s = step(std::move(rr)); !s.ok()) return s;
    }
    return {};
  }

  common::Status step(Rr rr) {
    const bool soa = rr.type == RecordType::kSOA && rr.name == zone_;
    const uint32_t serial = soa ? soa_serial(rr.value).value_or(0) : 0;
    switch (state_) {
      case State::kStart:
        if (!soa) return protocol("the transfer does not start with the zone's SOA");
        out_.serial = serial;
        first_ = rr;
        state_ = State::kAfterFirst;
        return {};
      case State::kAfterFirst:
        if (soa && since_) {  // IXFR: this is the client's version
          state_ = State::kRemoving;
          out_.kind = Transfer::Kind::kIncremental;
          out_.steps.push_back(IxfrStep{.from_serial = serial});
          return {};
        }
        out_.kind = Transfer::Kind::kFull;
        out_.rrs.push_back(first_);
        state_ = State::kFull;
        [[fallthrough]];
      case State::kFull:
        if (soa) {
          if (serial != out_.serial) return protocol("the closing SOA differs from the opening one");
          done_ = true;
          return {};
        }
        out_.rrs.push_back(std::move(rr));
        return {};
      case State::kRemoving:
        if (soa) {
          out_.steps.back().to_serial = serial;
          out_.steps.back().added.push_back(std::move(rr));
          state_ = State::kAdding;
          return {};
        }
        out_.steps.back().removed.push_back(std::move(rr));
        return {};
      case State::kAdding:
        if (soa) {
          if (serial == out_.serial && out_.steps.back().to_serial == out_.serial) {
            done_ = true;
            return {};
          }
          out_.steps.push_back(IxfrStep{.from_serial = serial});
          state_ = State::kRemoving;
          return {};
        }
        out_.steps.back().added.push_back(std::move(rr));
        return {};
    }
    return {};
  }

  std::string zone_;
  std::optional<uint32_t> since_;
  size_t max_records_;
  std::string what_;
  State state_ = State::kStart;
  Rr first_;
  size_t count_ = 0;
  bool done_ = false;
  Transfer out_;
};

bool falls_back_to_axfr(uint16_t rcode) { return rcode == KNOT_RCODE_NOTIMPL || rcode == KNOT_RCODE_FORMERR; }

}  // namespace

common::Task<common::Result<SoaAnswer>> query_soa(const ServerOptions& options, const std::string& zone_name) {
  const std::string zone = model::normalize_name(zone_name);
  auto query = build_query(zone, KNOT_RRTYPE_SOA, next_id(), std::nullopt);
  if (!query.ok()) co_return query.error();
  const std::string what = fmt::format("SOA query for {}", zone);
  SoaAnswer out;
  auto on_answer = [&](detail::ParsedAnswer& a) -> common::Result<bool> {
    out.answer = std::move(a.answer);
    if (out.answer.rcode != KNOT_RCODE_NOERROR || out.answer.tsig.error != 0) return true;
    if (!out.answer.signature.ok()) return out.answer.signature.error();
    const knot_pktsection_t* answer = knot_pkt_section(a.pkt, KNOT_ANSWER);
    for (uint16_t i = 0; i < answer->count; ++i) {
      const knot_rrset_t* rr = knot_pkt_rr(answer, i);
      if (rr->type != KNOT_RRTYPE_SOA || detail::wire_to_name(rr->owner) != zone || rr->rrs.count == 0) continue;
      auto text = detail::rdata_to_text(KNOT_RRTYPE_SOA, rr->rrs.rdata->data, rr->rrs.rdata->len);
      if (!text.ok()) return text.error();
      out.serial = soa_serial(*text).value_or(0);
      out.soa = Rr{zone, RecordType::kSOA, rr->ttl, std::move(text).value()};
      return true;
    }
    return make_error(ErrorCode::kProtocol, what + ": the answer holds no SOA of the zone (is it the zone's apex?)");
  };
  auto s = co_await detail::exchange(options, std::move(query).value(), detail::kMaxTcpAnswer, on_answer, &out.wire,
                                     what);
  if (!s.ok()) co_return s.error();
  co_return out;
}

common::Task<common::Result<Transfer>> transfer(const ServerOptions& options, const std::string& zone_name,
                                                const std::optional<Rr>& since, const XfrLimits& limits) {
  const std::string zone = model::normalize_name(zone_name);
  auto query = build_query(zone, since ? KNOT_RRTYPE_IXFR : KNOT_RRTYPE_AXFR, next_id(), since);
  if (!query.ok()) co_return query.error();
  const std::string what = fmt::format("{} of {}", since ? "IXFR" : "AXFR", zone);
  std::optional<uint32_t> since_serial;
  if (since) since_serial = soa_serial(since->value);
  TransferReader reader(zone, since_serial, limits.max_records, what);
  ServerAnswer refusal;
  bool refused = false;
  auto on_answer = [&](detail::ParsedAnswer& a) -> common::Result<bool> {
    if (a.answer.rcode != KNOT_RCODE_NOERROR || a.answer.tsig.error != 0) {
      refusal = std::move(a.answer);
      refused = true;
      return true;
    }
    if (!a.answer.signature.ok()) return a.answer.signature.error();
    auto done = reader.absorb(a.pkt);
    if (!done.ok()) return done.error();
    if (*done && !a.covered) {
      return make_error(ErrorCode::kPermissionDenied, what + ": the transfer's last message is not signed");
    }
    return *done;
  };
  WireStats wire;
  auto s = co_await detail::exchange(options, std::move(query).value(), limits.max_bytes, on_answer, &wire, what);
  if (!s.ok()) co_return s.error();
  Transfer out = refused ? Transfer{} : reader.take_result();
  if (refused) out.answer = std::move(refusal);
  out.wire = wire;
  co_return out;
}

common::Task<common::Result<Refresh>> refresh(const ServerOptions& options, ZoneCopy& copy, const XfrLimits& limits) {
  Refresh out;
  if (copy.loaded()) {
    auto soa = co_await query_soa(options, copy.zone());
    if (!soa.ok()) co_return soa.error();
    out.wire += soa->wire;
    out.serial = soa->serial;
    if (!soa->answer.ok()) {
      out.answer = std::move(soa->answer);
      co_return out;
    }
    if (soa->serial == copy.serial()) co_return out;  // kUpToDate

    auto ixfr = co_await transfer(options, copy.zone(), copy.soa(), limits);
    if (!ixfr.ok()) co_return ixfr.error();
    out.wire += ixfr->wire;
    out.skipped = ixfr->skipped;
    if (!ixfr->answer.ok() && !falls_back_to_axfr(ixfr->answer.rcode)) {
      out.answer = std::move(ixfr->answer);
      co_return out;
    }
    if (ixfr->answer.ok()) {
      out.serial = ixfr->serial;
      switch (ixfr->kind) {
        case Transfer::Kind::kUpToDate:
          out.ixfr_fallback = fmt::format("the IXFR answer was the SOA alone at serial {}", ixfr->serial);
          break;
        case Transfer::Kind::kIncremental: {
          auto applied = copy.apply(ixfr->steps, ixfr->serial);
          if (applied.ok()) {
            out.kind = Refresh::Kind::kIncremental;
            co_return out;
          }
          out.ixfr_fallback = applied.error().message;
          break;
        }
        case Transfer::Kind::kFull: {
          if (auto s = copy.replace(std::move(ixfr->rrs)); !s.ok()) co_return s.error();
          out.kind = Refresh::Kind::kFull;
          co_return out;
        }
      }
    } else {
      out.ixfr_fallback = fmt::format("the server answered the IXFR with {}", rcode_name(ixfr->answer.rcode));
    }
  }
  auto axfr = co_await transfer(options, copy.zone(), std::nullopt, limits);
  if (!axfr.ok()) co_return axfr.error();
  out.wire += axfr->wire;
  out.skipped = axfr->skipped;
  out.kind = Refresh::Kind::kFull;
  if (!axfr->answer.ok()) {
    out.answer = std::move(axfr->answer);
    co_return out;
  }
  out.serial = axfr->serial;
  if (auto s = copy.replace(std::move(axfr->rrs)); !s.ok()) co_return s.error();
  co_return out;
}

}  // namespace ecssd::dns
