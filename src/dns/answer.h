#pragma once
// Answer computation of the embedded responder: a pure function from a zone
// snapshot and the bytes of one query to the bytes of the response, so that
// every DNS rule is unit tested without sockets.
//
// Behaviour (authoritative-only server, no recursion):
// - NOERROR with the data; NOERROR/NODATA or NXDOMAIN with the zone's SOA in
//   the authority section (RFC 2308); empty non-terminals are NODATA (RFC 8020);
//   CNAMEs are followed inside the zone (RFC 1034 4.3.2, RFC 6604 rcode).
// - REFUSED for names outside the zone and for classes other than IN.
// - FORMERR for malformed queries (QDCOUNT != 1, bad names or label pointers
//   in the question, bad OPT, trailing bytes); NOTIMP for opcodes other than
//   QUERY. Packets shorter than a header and packets with QR set are dropped
//   (answering them could start a loop between two servers).
// - EDNS0 (RFC 6891): the reply carries an OPT RR advertising 1232 octets
//   when the query had one; DO is copied; version > 0 gets BADVERS.
// - UDP replies fit the client's limit (512, or its EDNS size up to 1232):
//   the additional section is dropped first, then TC is set with an empty
//   answer so that the client retries over TCP (RFC 7766).
// - Names compare case-insensitively; the question is echoed as received.
// - AXFR (and IXFR, answered with a full transfer) over TCP from loopback
//   peers only: REFUSED for other peers, NOTAUTH for a name inside the zone
//   other than the apex. Over UDP, AXFR gets NOTIMP and IXFR the current SOA
//   (RFC 1995: the client then retries over TCP).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ecssd::dns {

class ZoneSnapshot;

enum class Transport { kUdp, kTcp };

struct QueryContext {
  Transport transport = Transport::kUdp;
  // The peer's address is a loopback address (zone transfers are served to those only).
  bool peer_loopback = false;
};

// The UDP payload size the responder advertises and honours (DNS flag day 2020).
inline constexpr uint16_t kEdnsBufferSize = 1232;
inline constexpr size_t kMaxMessageSize = 65535;
// The smallest output buffer answer_into accepts.
inline constexpr size_t kMinOutputSize = 512;

namespace rcode {
inline constexpr uint16_t kNoError = 0;
inline constexpr uint16_t kFormErr = 1;
inline constexpr uint16_t kServFail = 2;
inline constexpr uint16_t kNxDomain = 3;
inline constexpr uint16_t kNotImp = 4;
inline constexpr uint16_t kRefused = 5;
inline constexpr uint16_t kNotAuth = 9;
inline constexpr uint16_t kBadVers = 16;
}  // namespace rcode

struct AnswerInfo {
  size_t size = 0;         // octets written to `out`; 0 means the query is dropped
  uint16_t rcode = 0;      // full (extended) rcode of the response
  bool truncated = false;  // TC set
  bool transfer = false;   // an authorised zone transfer: nothing written, call transfer()
};

// Writes the response to `query` into `out` (at least kMinOutputSize octets;
// a response never exceeds out.size() nor the transport's limit). `zone` may
// be null while nothing is published: well-formed queries then get SERVFAIL.
// Never throws; the only state touched is the snapshot's rotation counters.
AnswerInfo answer_into(const ZoneSnapshot* zone, std::span<const uint8_t> query, const QueryContext& context,
                       std::span<uint8_t> out);

// The messages of a zone transfer of `zone` for `query` (which answer_into
// reported as `transfer`): SOA, every RRset, SOA again, packed into as few
// messages of at most 65535 octets as fit (no TCP length prefix).
std::vector<std::string> transfer(const ZoneSnapshot& zone, std::span<const uint8_t> query);

// Convenience for tests and tools: every message the query gets (none when
// it is dropped; several for a zone transfer).
std::vector<std::string> answer(const ZoneSnapshot* zone, std::span<const uint8_t> query,
                                const QueryContext& context);

}  // namespace ecssd::dns
