#include "dns/axfr_client.h"

// g++ 12 with -O2 reports a false -Wmismatched-new-delete on Asio 1.81's
// awaitable frame allocator for this coroutine (same report in other projects
// using Boost 1.81; ASan finds nothing): silenced for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <algorithm>
#include <map>
#include <random>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "common/listen_address.h"
#include "common/log.h"
#include "dns/knot_util.h"
#include "model/names.h"

namespace ecssd::dns {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using common::ErrorCode;
using common::make_error;
using common::transient_error;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

struct Transfer {
  explicit Transfer(asio::any_io_executor ex) : socket(ex), timer(ex) {}
  tcp::socket socket;
  asio::steady_timer timer;
  bool timed_out = false;
};

// Closes the socket when the deadline passes, which fails whatever I/O is
// pending. A socket I/O deadline: it stays on an Asio timer of the real clock.
common::Task<void> deadline(std::shared_ptr<Transfer> t) {
  auto [ec] = co_await t->timer.async_wait(kAwait);
  if (ec) co_return;  // cancelled: the transfer finished
  t->timed_out = true;
  boost::system::error_code ignored;
  t->socket.close(ignored);
}

common::Error io_error(const Transfer& t, const AxfrOptions& o, std::string_view what,
                       const boost::system::error_code& ec) {
  if (t.timed_out) {
    return transient_error(ErrorCode::kTimeout,
                           fmt::format("zone transfer of {} from {}: no answer within {} ms", o.zone, o.server,
                                       o.timeout.count()));
  }
  return transient_error(ErrorCode::kUnavailable,
                         fmt::format("zone transfer of {} from {}: {}: {}", o.zone, o.server, what, ec.message()));
}

std::string rcode_text(uint16_t rc) {
  const knot_lookup_t* item = knot_lookup_by_id(knot_rcode_names, rc);
  return item ? item->name : std::to_string(rc);
}

common::Error rcode_error(const AxfrOptions& o, uint16_t rc) {
  auto msg = [&](std::string_view why) {
    return fmt::format("zone transfer of {} from {} failed: {} ({})", o.zone, o.server, rcode_text(rc), why);
  };
  switch (rc) {
    case KNOT_RCODE_REFUSED:
      return make_error(ErrorCode::kPermissionDenied,
                        msg("transfers not allowed from this address, or the zone is not served there"));
    case KNOT_RCODE_NOTAUTH:
      return make_error(ErrorCode::kPermissionDenied, msg("not authoritative for the zone, or not authorized"));
    case KNOT_RCODE_NXDOMAIN: return make_error(ErrorCode::kNotFound, msg("the zone does not exist there"));
    case KNOT_RCODE_SERVFAIL: return transient_error(ErrorCode::kUnavailable, msg("server failure"));
    default: return make_error(ErrorCode::kProtocol, msg("unexpected rcode"));
  }
}

// Stops the deadline and closes the connection however the transfer ends.
struct Finish {
  std::shared_ptr<Transfer> t;
  ~Finish() {
    t->timer.cancel();
    boost::system::error_code ignored;
    t->socket.close(ignored);
  }
};

// The AXFR query in TCP framing, built by libknot.
std::string build_query(const detail::WireName& zone, uint16_t id) {
  detail::PktPtr pkt(knot_pkt_new(nullptr, KNOT_WIRE_MAX_PKTSIZE, nullptr));
  if (!pkt) return {};
  knot_wire_set_id(pkt->wire, id);
  if (knot_pkt_put_question(pkt.get(), detail::as_dname(zone), KNOT_CLASS_IN, KNOT_RRTYPE_AXFR) != KNOT_EOK) return {};
  std::string query;
  query.push_back(static_cast<char>(pkt->size >> 8));
  query.push_back(static_cast<char>(pkt->size & 0xff));
  query.append(reinterpret_cast<const char*>(pkt->wire), pkt->size);
  return query;
}

}  // namespace

AxfrReader::AxfrReader(const AxfrOptions& options, uint16_t id)
    : o_(options), zone_(model::normalize_name(options.zone)), id_(id) {}

common::Error AxfrReader::protocol(std::string_view why) const {
  return make_error(ErrorCode::kProtocol, fmt::format("zone transfer of {} from {}: {}", o_.zone, o_.server, why));
}

common::Status AxfrReader::absorb(std::vector<uint8_t>& buf) {
  ++result_.messages;
  detail::PktPtr pkt(knot_pkt_new(buf.data(), buf.size(), nullptr));
  if (!pkt) return make_error(ErrorCode::kInternal, "out of memory");
  if (int ret = knot_pkt_parse(pkt.get(), 0); ret != KNOT_EOK) {
    return protocol(fmt::format("malformed message ({})", detail::knot_error(ret)));
  }
  if (knot_wire_get_id(pkt->wire) != id_ || !knot_wire_get_qr(pkt->wire)) return protocol("reply to another query");
  if (uint16_t rc = knot_pkt_ext_rcode(pkt.get()); rc != KNOT_RCODE_NOERROR) return rcode_error(o_, rc);
  const knot_pktsection_t* answer = knot_pkt_section(pkt.get(), KNOT_ANSWER);
  if (answer->count == 0) return protocol("a message without records");
  auto add = [this](const knot_rrset_t& rr) -> common::Status {
    std::string owner = detail::wire_to_name(rr.owner);
    if (soa_seen_ == 0 && (rr.type != KNOT_RRTYPE_SOA || owner != zone_)) {
      return protocol("the transfer does not start with the zone's SOA");
    }
    if (rr.rclass != KNOT_CLASS_IN || !model::in_zone(owner, zone_)) {
      return protocol(fmt::format("record {} is not in class IN of the zone", owner));
    }
    if (rr.type == KNOT_RRTYPE_SOA && owner == zone_) {
      if (++soa_seen_ == 2) return {};  // the closing SOA ends the transfer
      result_.serial = knot_soa_serial(rr.rrs.rdata);
    }
    knot_rdata_t* rd = rr.rrs.rdata;
    for (uint16_t j = 0; j < rr.rrs.count; ++j, rd = knot_rdataset_next(rd)) {
      auto text = detail::rdata_to_text(rr.type, rd->data, rd->len);
      if (!text.ok()) {
        if (text.error().code != ErrorCode::kInvalidArgument) return protocol(text.error().message);
        ++result_.skipped;
        continue;
      }
      auto type = static_cast<model::RecordType>(rr.type);
      auto [it, inserted] = rrsets_.try_emplace(model::RecordKey{owner, type, {}});
      model::Record& r = it->second;
      if (inserted) {
        r.name = owner;
        r.type = type;
        r.ttl = rr.ttl;
      }
      r.ttl = std::min(r.ttl, rr.ttl);
      if (std::find(r.values.begin(), r.values.end(), *text) == r.values.end()) r.values.push_back(*text);
      if (++rrs_ > o_.max_records) {
        return make_error(ErrorCode::kTooLarge, fmt::format("zone transfer of {} from {} exceeds {} records", o_.zone,
                                                            o_.server, o_.max_records));
      }
    }
    return {};
  };
  for (uint16_t i = 0; i < answer->count && !done(); ++i) {
    if (auto s = add(*knot_pkt_rr(answer, i)); !s.ok()) return s;
  }
  return {};
}

AxfrResult AxfrReader::finish() {
  result_.records.reserve(rrsets_.size());
  for (auto& [key, r] : rrsets_) result_.records.push_back(std::move(r));
  if (result_.skipped > 0) {
    log::info("axfr: left out records of types ecssd does not model",
              {{"zone", zone_}, {"server", o_.server}, {"count", result_.skipped}});
  }
  return std::move(result_);
}

common::Task<common::Result<AxfrResult>> axfr(AxfrOptions o) {
  auto listen = common::parse_listen(o.server);
  if (!listen.ok()) co_return listen.error();
  auto zone = detail::name_to_wire(o.zone, "zone");
  if (!zone.ok()) co_return zone.error();
  std::random_device entropy;
  auto id = static_cast<uint16_t>(entropy());
  AxfrReader c(o, id);
  std::string query = build_query(*zone, id);
  if (query.empty()) co_return make_error(ErrorCode::kInternal, "cannot build the AXFR query");

  auto ex = co_await asio::this_coro::executor;
  auto t = std::make_shared<Transfer>(ex);
  t->timer.expires_after(o.timeout);
  asio::co_spawn(ex, deadline(t), asio::detached);
  Finish finish{t};

  tcp::endpoint ep(asio::ip::make_address(listen->address), listen->port);
  auto [cec] = co_await t->socket.async_connect(ep, kAwait);
  if (cec) co_return io_error(*t, o, "connect", cec);
  auto [wec, wn] = co_await asio::async_write(t->socket, asio::buffer(query), kAwait);
  if (wec) co_return io_error(*t, o, "send", wec);

  size_t total = 0;
  std::vector<uint8_t> buf;
  while (!c.done()) {
    uint8_t prefix[2];
    auto [rec1, rn1] = co_await asio::async_read(t->socket, asio::buffer(prefix), kAwait);
    if (rec1) co_return io_error(*t, o, "receive", rec1);
    size_t len = (size_t{prefix[0]} << 8) | prefix[1];
    total += len + 2;
    if (total > o.max_bytes) {
      co_return make_error(ErrorCode::kTooLarge,
                           fmt::format("zone transfer of {} from {} exceeds {} bytes", o.zone, o.server, o.max_bytes));
    }
    buf.resize(len);
    auto [rec2, rn2] = co_await asio::async_read(t->socket, asio::buffer(buf), kAwait);
    if (rec2) co_return io_error(*t, o, "receive", rec2);
    if (auto s = c.absorb(buf); !s.ok()) co_return s.error();
  }
  co_return c.finish();
}

}  // namespace ecssd::dns
