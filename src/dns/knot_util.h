#pragma once
// Internal to src/dns: small RAII owners and conversions around libknot. No
// header outside src/dns may include this file (libknot's soname changes with
// every minor release, so its types stay behind src/dns's own interfaces).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

// libknot's headers have no extern "C" guards of their own.
extern "C" {
#include <libknot/libknot.h>
}

#include "common/result.h"
#include "model/record.h"

namespace ecssd::dns::detail {

struct PktFree {
  void operator()(knot_pkt_t* p) const { knot_pkt_free(p); }
};
using PktPtr = std::unique_ptr<knot_pkt_t, PktFree>;

struct RrsetFree {
  void operator()(knot_rrset_t* r) const { knot_rrset_free(r, nullptr); }
};
using RrsetPtr = std::unique_ptr<knot_rrset_t, RrsetFree>;

// A wire-form name in a std::string (lower-case unless said otherwise).
using WireName = std::string;

inline const knot_dname_t* as_dname(const WireName& w) { return reinterpret_cast<const knot_dname_t*>(w.data()); }
inline std::string_view as_view(const knot_dname_t* d) {
  return {reinterpret_cast<const char*>(d), knot_dname_size(d)};
}

// "web.zone" (presentation, trailing dot optional) -> lower-case wire form.
// Errors: kInvalidArgument naming `what` when the name is empty, has an empty
// or over-long label, or is over 255 octets in wire form.
common::Result<WireName> name_to_wire(std::string_view name, std::string_view what);

// Wire name -> "web.zone" (lower-case, no trailing dot; root is "").
std::string wire_to_name(const knot_dname_t* name);

// RDATA of one presentation value (model::Record conventions) in wire form.
// Supported: A, AAAA, CNAME, NS, TXT, SRV, SOA ("mname rname serial refresh
// retry expire minimum"). Names inside RDATA are lower-cased.
// Errors: kInvalidArgument with the reason.
common::Result<std::string> rdata_to_wire(model::RecordType type, std::string_view value);

// The reverse: wire RDATA (uncompressed, as libknot stores it) -> presentation
// in model canonical form. Errors: kInvalidArgument for a type ecssd does not
// model, kProtocol for RDATA that does not parse.
common::Result<std::string> rdata_to_text(uint16_t type, const uint8_t* data, size_t len);

// libknot error code -> text.
inline std::string knot_error(int code) { return knot_strerror(code); }

// A libknot failure as an Error that keeps libknot's reason: "<what>: <reason>".
// kInvalidArgument when a bound was hit (KNOT_ESPACE, KNOT_ERANGE: too many
// values, too large), kInternal otherwise (KNOT_ENOMEM...).
common::Error knot_failure(int code, std::string_view what);

}  // namespace ecssd::dns::detail
