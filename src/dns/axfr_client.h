#pragma once
// A zone transfer client (AXFR over TCP, RFC 5936): lists every record of a
// zone from a server, e.g. a running agent's embedded responder, Knot or BIND.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "common/result.h"
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

// Transfers `options.zone` from `options.server` on the calling coroutine's
// executor. Errors: kInvalidArgument (bad server address or zone);
// kUnavailable, transient (cannot connect, connection lost, SERVFAIL);
// kTimeout, transient; kPermissionDenied for REFUSED or NOTAUTH (transfer
// not allowed to us, e.g. from a non-loopback address on the embedded
// responder, or a zone the server is not authoritative for); kNotFound
// (NXDOMAIN); kTooLarge (over max_bytes/max_records);
// kProtocol (a reply that is not a well-formed transfer of this zone).
boost::asio::awaitable<common::Result<AxfrResult>> axfr(AxfrOptions options);

}  // namespace ecssd::dns
