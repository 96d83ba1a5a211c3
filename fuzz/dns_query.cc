// One DNS message, as a UDP datagram or a TCP query would bring it, through
// the embedded responder's answer path (dns/answer.h) for every transport and
// peer. Invariants: packets shorter than a header or with QR set are dropped,
// anything else is answered; an answer is a well-formed DNS response (libknot
// parses it) to this query (same id, QR set, opcode and question echoed) that
// fits the transport's limit; TC only over UDP and only with empty sections;
// FORMERR exactly when libknot cannot parse the query either; zone transfers
// only over TCP to loopback peers, each message a well-formed response
// between 12 and 65535 octets, starting and ending with the zone's SOA.
#include <cstring>

#include "dns/answer.h"
#include "dns/knot_util.h"
#include "dns_zone.h"
#include "fuzz_util.h"

namespace ecssd::fuzz {
namespace {

using dns::detail::PktPtr;

std::shared_ptr<const dns::ZoneSnapshot> g_zone;

struct Parsed {
  PktPtr pkt;
  std::vector<uint8_t> wire;  // libknot parses in place
};

// libknot's parse of `bytes`, or a null packet when it refuses them.
Parsed knot_parse(std::span<const uint8_t> bytes) {
  Parsed p;
  p.wire.assign(bytes.begin(), bytes.end());
  p.pkt.reset(knot_pkt_new(p.wire.data(), p.wire.size(), nullptr));
  if (p.pkt && knot_pkt_parse(p.pkt.get(), 0) != KNOT_EOK) p.pkt.reset();
  return p;
}

// libknot's verdict on a query, with one difference the RFC settles: an
// EDNS payload size below 512 is refused by libknot but "MUST be treated as
// equal to 512" (RFC 6891 6.2.5), as the responder does. For the common shape
// (the question, then only an OPT) such a query is judged with 512 instead.
Parsed knot_verdict(std::span<const uint8_t> q) {
  Parsed p = knot_parse(q);
  if (p.pkt || q.size() < KNOT_WIRE_HEADER_SIZE) return p;
  const uint8_t* w = q.data();
  if (knot_wire_get_ancount(w) != 0 || knot_wire_get_nscount(w) != 0 || knot_wire_get_arcount(w) != 1) return p;
  int n = knot_dname_wire_check(w + KNOT_WIRE_HEADER_SIZE, w + q.size(), nullptr);
  size_t opt = KNOT_WIRE_HEADER_SIZE + static_cast<size_t>(std::max(n, 0)) + 4;
  if (n <= 0 || opt + 11 > q.size() || w[opt] != 0 || knot_wire_read_u16(w + opt + 1) != KNOT_RRTYPE_OPT ||
      knot_wire_read_u16(w + opt + 3) >= KNOT_WIRE_MIN_PKTSIZE) {
    return p;
  }
  std::vector<uint8_t> raised(q.begin(), q.end());
  knot_wire_write_u16(raised.data() + opt + 3, KNOT_WIRE_MIN_PKTSIZE);
  return knot_parse(raised);
}

std::string hex_head(std::span<const uint8_t> b) {
  std::string s;
  for (size_t i = 0; i < b.size() && i < 48; ++i) s += fmt::format("{:02x}", b[i]);
  return s;
}

void check_transfer(std::span<const uint8_t> query) {
  auto messages = dns::transfer(*g_zone, query);
  FUZZ_CHECK(!messages.empty(), "an authorised transfer produced no message");
  uint16_t id = knot_wire_get_id(query.data());
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string& m = messages[i];
    FUZZ_CHECK(m.size() >= KNOT_WIRE_HEADER_SIZE && m.size() <= dns::kMaxMessageSize,
               fmt::format("transfer message of {} octets", m.size()));
    auto p = knot_parse({reinterpret_cast<const uint8_t*>(m.data()), m.size()});
    FUZZ_CHECK(p.pkt != nullptr, "libknot cannot parse a transfer message");
    FUZZ_CHECK(knot_wire_get_id(p.pkt->wire) == id && knot_wire_get_qr(p.pkt->wire), "transfer message header");
    const knot_pktsection_t* an = knot_pkt_section(p.pkt.get(), KNOT_ANSWER);
    FUZZ_CHECK(an->count > 0, "a transfer message without records");
    if (i == 0) FUZZ_CHECK(knot_pkt_rr(an, 0)->type == KNOT_RRTYPE_SOA, "the transfer does not start with the SOA");
    if (i + 1 == messages.size()) {
      FUZZ_CHECK(knot_pkt_rr(an, an->count - 1)->type == KNOT_RRTYPE_SOA, "the transfer does not end with the SOA");
    }
  }
}

void check(std::span<const uint8_t> query, const Parsed& libknot, const dns::QueryContext& ctx,
           const dns::ZoneSnapshot* zone, std::vector<uint8_t>& out) {
  const bool udp = ctx.transport == dns::Transport::kUdp;
  dns::AnswerInfo info = dns::answer_into(zone, query, ctx, out);
  // Only formatted when a check fails.
  auto where = [&] {
    return fmt::format("{} peer_loopback={} zone={} query {}", udp ? "udp" : "tcp", ctx.peer_loopback,
                       zone != nullptr, hex_head(query));
  };
  const bool must_drop = query.size() < KNOT_WIRE_HEADER_SIZE || knot_wire_get_qr(query.data());
  if (info.transfer) {
    FUZZ_CHECK(!udp && ctx.peer_loopback && zone != nullptr && info.size == 0, "transfer granted: " + where());
    FUZZ_CHECK(libknot.pkt != nullptr, "transfer granted for a query libknot refuses: " + where());
    check_transfer(query);
    return;
  }
  FUZZ_CHECK(must_drop == (info.size == 0), "drop verdict: " + where());
  if (must_drop) return;
  FUZZ_CHECK(info.size <= out.size() && info.size <= (udp ? dns::kEdnsBufferSize : dns::kMaxMessageSize),
             fmt::format("answer of {} octets: {}", info.size, where()));
  std::span<const uint8_t> reply(out.data(), info.size);
  auto parsed = knot_parse(reply);
  FUZZ_CHECK(parsed.pkt != nullptr, "libknot cannot parse the answer: " + where());
  const knot_pkt_t* r = parsed.pkt.get();
  FUZZ_CHECK(knot_wire_get_id(r->wire) == knot_wire_get_id(query.data()), "answer id: " + where());
  FUZZ_CHECK(knot_wire_get_qr(r->wire), "answer without QR: " + where());
  FUZZ_CHECK(knot_wire_get_opcode(r->wire) == knot_wire_get_opcode(query.data()), "answer opcode: " + where());
  FUZZ_CHECK(knot_pkt_ext_rcode(r) == info.rcode, "reported rcode: " + where());
  if (knot_wire_get_tc(r->wire)) {
    FUZZ_CHECK(udp && info.truncated, "TC set over TCP or unreported: " + where());
    FUZZ_CHECK(knot_wire_get_ancount(r->wire) == 0 && knot_wire_get_nscount(r->wire) == 0, "TC with records: " + where());
  }
  // UDP answers above 512 octets only to a client that said it takes them.
  if (udp && info.size > KNOT_WIRE_MIN_PKTSIZE) {
    FUZZ_CHECK(libknot.pkt && libknot.pkt->opt_rr && knot_edns_get_payload(libknot.pkt->opt_rr) >= info.size,
               fmt::format("{} octets over UDP without EDNS room: {}", info.size, where()));
  }
  const bool is_query = knot_wire_get_opcode(query.data()) == KNOT_OPCODE_QUERY;
  if (!is_query) {
    FUZZ_CHECK(info.rcode == dns::rcode::kNotImp, "opcode other than QUERY answered: " + where());
    return;
  }
  // The hand-written parser and libknot agree on what is well-formed.
  const bool knot_ok = libknot.pkt != nullptr && knot_wire_get_qdcount(query.data()) == 1 && libknot.pkt->qname_size > 0;
  FUZZ_CHECK((info.rcode == dns::rcode::kFormErr) == !knot_ok,
             fmt::format("FORMERR={} but libknot {} the query: {}", info.rcode == dns::rcode::kFormErr,
                         knot_ok ? "accepts" : "refuses", where()));
  if (info.rcode == dns::rcode::kFormErr) return;
  // The question comes back as it was asked, case included.
  FUZZ_CHECK(knot_wire_get_qdcount(r->wire) == 1 && r->qname_size == libknot.pkt->qname_size &&
                 std::memcmp(r->wire + KNOT_WIRE_HEADER_SIZE, query.data() + KNOT_WIRE_HEADER_SIZE,
                             r->qname_size + 4u) == 0,
             "question not echoed: " + where());
  const bool edns = libknot.pkt->opt_rr != nullptr;
  FUZZ_CHECK(edns == (r->opt_rr != nullptr), "OPT in the answer iff in the query: " + where());
  if (edns && knot_edns_get_version(libknot.pkt->opt_rr) != 0) {
    FUZZ_CHECK(info.rcode == dns::rcode::kBadVers, "EDNS version > 0 without BADVERS: " + where());
  }
}

}  // namespace
}  // namespace ecssd::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ecssd::fuzz::quiet();
  ecssd::fuzz::g_zone = ecssd::fuzz::fuzz_zone();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ecssd;
  static std::vector<uint8_t> out(dns::kMaxMessageSize);
  std::span<const uint8_t> query(data, size);
  auto libknot = fuzz::knot_verdict(query);
  for (auto transport : {dns::Transport::kUdp, dns::Transport::kTcp}) {
    for (bool loopback : {false, true}) {
      fuzz::check(query, libknot, {transport, loopback}, fuzz::g_zone.get(), out);
    }
  }
  fuzz::check(query, libknot, {dns::Transport::kUdp, false}, nullptr, out);
  // The smallest buffer answer_into takes is honoured too.
  std::vector<uint8_t> small(dns::kMinOutputSize);
  dns::AnswerInfo info = dns::answer_into(fuzz::g_zone.get(), query, {dns::Transport::kTcp, true}, small);
  FUZZ_CHECK(info.size <= small.size(), "answer larger than the output buffer");
  return 0;
}
