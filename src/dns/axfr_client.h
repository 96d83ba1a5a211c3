#pragma once
// A zone transfer client (AXFR over TCP, RFC 5936): lists every record of a
// zone from a server, e.g. a running agent's embedded responder, Knot or BIND.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/task.h"
#include "model/record.h"

namespace ecssd::dns {

struct AxfrOptions {
  std::string server;  // "127.0.0.1:8053" or "[::1]:53"
  std::string zone;
  // For the whole transfer: connecting, asking, every message.
  std::chrono::milliseconds timeout{5000};
  // Bounds on what a server may send before the transfer is abandoned.
  size_t max_bytes = 64u << 20;
  size_t max_records = 1'000'000;
};

struct AxfrResult {
  uint32_t serial = 0;
  // One record per name and type (an RRset: values = every RDATA), SOA and
  // NS included, in model canonical form (names normalized, TXT quoted by
  // model::txt_encode, SRV "prio weight port target"), sorted by name and type.
  std::vector<model::Record> records;
  // RRs of types ecssd does not model (MX, CAA...), left out.
  size_t skipped = 0;
  size_t messages = 0;
};

// The message half of axfr(), without sockets, so that what a server sends
// can be tested and fuzzed on its own: takes in the transfer's messages one by
// one (each without its TCP length prefix) until the closing SOA.
class AxfrReader {
 public:
  // `options` must outlive the reader; `id` is the query's message id.
  AxfrReader(const AxfrOptions& options, uint16_t id);
  // Errors: as axfr() (kProtocol, kPermissionDenied, kNotFound, kUnavailable
  // for the rcodes, kTooLarge over max_records). libknot parses the message
  // in place, hence the mutable buffer.
  common::Status absorb(std::vector<uint8_t>& message);
  // The closing SOA has been read: the transfer is complete.
  bool done() const { return soa_seen_ >= 2; }
  // The records read (call once, when done()).
  AxfrResult finish();

 private:
  common::Error protocol(std::string_view why) const;

  const AxfrOptions& o_;
  std::string zone_;  // normalized
  uint16_t id_ = 0;
  size_t soa_seen_ = 0;
  size_t rrs_ = 0;
  AxfrResult result_;
  std::map<model::RecordKey, model::Record> rrsets_;  // sorted by name and type
};

// Transfers `options.zone` from `options.server` on the calling coroutine's
// executor. Errors: kInvalidArgument (bad server address or zone);
// kUnavailable, transient (cannot connect, connection lost, SERVFAIL);
// kTimeout, transient; kPermissionDenied for REFUSED or NOTAUTH (transfer
// not allowed to us, e.g. from a non-loopback address on the embedded
// responder, or a zone the server is not authoritative for); kNotFound
// (NXDOMAIN); kTooLarge (over max_bytes/max_records);
// kProtocol (a reply that is not a well-formed transfer of this zone).
common::Task<common::Result<AxfrResult>> axfr(AxfrOptions options);

}  // namespace ecssd::dns
