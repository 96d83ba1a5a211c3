#pragma once
// Reading a zone cheaply from an authoritative server, TSIG-signed and
// verified when a key is given: the SOA serial (one query over TCP), a full
// transfer (AXFR, RFC 5936) and an incremental one (IXFR, RFC 1995), and
// refresh(), which keeps a ZoneCopy current with the least of them. A copy
// changes only when a transfer arrived whole and verified: a failed or
// partial transfer never removes anything from it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/result.h"
#include "common/task.h"
#include "dns/server_answer.h"
#include "dns/zone_copy.h"

namespace ecssd::dns {

struct XfrLimits {
  size_t max_bytes = 64u << 20;
  size_t max_records = 1'000'000;
};

struct SoaAnswer {
  ServerAnswer answer;      // the server's RCODE and TSIG verdicts
  std::optional<Rr> soa;    // when answer.ok()
  uint32_t serial = 0;
  WireStats wire;
};

// The zone's SOA, asked over TCP. A refusal (REFUSED, NOTAUTH, NXDOMAIN,
// TSIG errors) is returned as data in `answer`. Errors: those of the
// exchange (transient kUnavailable/kTimeout; kProtocol); kPermissionDenied
// when a NOERROR answer fails our TSIG check; kProtocol when a NOERROR
// answer holds no SOA of the zone.
common::Task<common::Result<SoaAnswer>> query_soa(const ServerOptions& options, const std::string& zone);

struct Transfer {
  ServerAnswer answer;  // a refusal leaves the rest empty
  enum class Kind { kUpToDate, kFull, kIncremental } kind = Kind::kFull;
  uint32_t serial = 0;            // the server's
  std::vector<Rr> rrs;            // kFull: every RR (of modelled types), the SOA once
  std::vector<IxfrStep> steps;    // kIncremental
  size_t skipped = 0;             // RRs of types ecssd does not model (MX, CAA...)
  WireStats wire;
};

// AXFR of `zone`, or IXFR from `since` (the client's SOA) when given; a
// server may answer an IXFR with the whole zone (kFull) or, when `since` is
// current, with its SOA alone (kUpToDate). Refusals come back in `answer`.
// Errors: transient kUnavailable/kTimeout; kPermissionDenied when a
// message fails our TSIG check or the last one is unsigned; kTooLarge
// (limits); kProtocol for anything that is not a well-formed transfer of
// the zone (the transfer is then discarded whole).
common::Task<common::Result<Transfer>> transfer(const ServerOptions& options, const std::string& zone,
                                                const std::optional<Rr>& since, const XfrLimits& limits);

struct Refresh {
  // The server's refusal of the SOA query or the transfer, when !ok().
  ServerAnswer answer;
  enum class Kind { kUpToDate, kIncremental, kFull } kind = Kind::kUpToDate;
  uint32_t serial = 0;
  size_t skipped = 0;
  // With kFull after an IXFR was tried: why it was not used.
  std::optional<std::string> ixfr_fallback;
  WireStats wire;  // the SOA query and the transfers together
};

// Brings `copy` to the server's current version: asks the SOA serial; when
// it moved (or the copy is empty) transfers by IXFR from the copy's serial,
// falling back to AXFR when the server offers no IXFR, answers with the
// whole zone, or sends steps that do not apply to the copy. The copy is
// changed only on success. Refusals come back in `answer` (copy unchanged);
// errors as transfer().
common::Task<common::Result<Refresh>> refresh(const ServerOptions& options, ZoneCopy& copy, const XfrLimits& limits);

}  // namespace ecssd::dns
