#include "provider/rfc2136/errors.h"

#include <cstdlib>
#include <optional>

#include <fmt/format.h>

#include "dns/tsig.h"
#include "dns/update_message.h"

namespace ecssd::provider::rfc2136 {
namespace {

using common::ErrorCode;
using common::make_error;
using common::transient_error;

std::string policy_hint(const AnswerContext& c) {
  const std::string key = c.key.empty() ? std::string("(no key)") : c.key.substr(0, c.key.find(' '));
  if (c.exchange == AnswerContext::Exchange::kTransfer) {
    return fmt::format("BIND: allow-transfer {{ key \"{}\"; }}; Knot: an acl with action transfer and key {}; "
                       "PowerDNS: TSIG-ALLOW-AXFR {} (pdnsutil activate-tsig-key)",
                       key, key, key);
  }
  return fmt::format("BIND: update-policy {{ grant \"{}\" zonesub ANY; }} or allow-update; Knot: an acl with action "
                     "update and key {}; PowerDNS: TSIG-ALLOW-DNSUPDATE {} and allow-dnsupdate-from",
                     key, key, key);
}

std::string skew_text(int64_t ahead) {
  return fmt::format("{} s {}", std::llabs(ahead), ahead >= 0 ? "ahead of" : "behind");
}

}  // namespace

bool prerequisite_failed(uint16_t rcode) {
  return rcode == dns::kRcodeYxDomain || rcode == dns::kRcodeYxRrset || rcode == dns::kRcodeNxRrset ||
         rcode == dns::kRcodeNxDomain;
}

namespace {

std::string what_of(const AnswerContext& c) {
  return fmt::format("{} of zone {} at {}", c.exchange == AnswerContext::Exchange::kUpdate ? "UPDATE" : "zone transfer",
                     c.zone, c.server);
}

// The server's verdict on our TSIG signature, if it gave one.
std::optional<common::Error> tsig_error(const dns::ServerAnswer& a, const AnswerContext& c) {
  auto line = [&](std::string_view why) { return fmt::format("{}: {}", what_of(c), why); };
  switch (a.tsig.error) {
    case dns::kTsigBadSig:
      return make_error(ErrorCode::kPermissionDenied,
                        line(fmt::format("the server rejected our signature (BADSIG): the secret of TSIG key {} in {} "
                                         "is not the one the server has for that key",
                                         c.key, c.key_flag)));
    case dns::kTsigBadKey:
      return make_error(ErrorCode::kPermissionDenied,
                        line(fmt::format("the server does not know TSIG key {}, or no rule of its policy lets that "
                                         "key do this (BADKEY; Knot answers so when no acl matches): check the key "
                                         "name (--tsig-key-name) and algorithm (--tsig-algorithm) against its "
                                         "configuration, then its policy ({})",
                                         c.key, policy_hint(c))));
    case dns::kTsigBadTime:
      return make_error(
          ErrorCode::kPermissionDenied,
          line(a.tsig.server_clock_ahead
                   ? fmt::format("the server's clock is {} this host's (BADTIME; TSIG allows 300 s): fix the clock "
                                 "(NTP) here or on the server",
                                 skew_text(*a.tsig.server_clock_ahead))
                   : std::string("the server finds our clock too far from its own (BADTIME; TSIG allows 300 s): fix "
                                 "the clock (NTP) here or on the server")));
    case dns::kTsigBadTrunc:
      return make_error(ErrorCode::kProtocol, line("the server refused a truncated MAC (BADTRUNC)"));
    default: return std::nullopt;
  }
}

}  // namespace

common::Error answer_error(const dns::ServerAnswer& a, const AnswerContext& c) {
  if (auto e = tsig_error(a, c)) return *e;
  const bool update = c.exchange == AnswerContext::Exchange::kUpdate;
  const std::string rcode = dns::rcode_name(a.rcode);
  auto line = [&](std::string_view why) { return fmt::format("{}: {}", what_of(c), why); };
  const std::string unsigned_note =
      (!c.key.empty() && !a.signature.ok()) ? " (its answer was not signed with our key)" : "";
  switch (a.rcode) {
    case dns::kRcodeNoError:
      return make_error(ErrorCode::kPermissionDenied,
                        line(fmt::format("answer rejected: {}", a.signature.ok() ? "" : a.signature.error().message)));
    case dns::kRcodeRefused:
      return make_error(ErrorCode::kPermissionDenied,
                        line(fmt::format("REFUSED: the server's policy does not let {} do this{} ({})",
                                         c.key.empty() ? std::string("an unsigned client") : "TSIG key " + c.key,
                                         unsigned_note, policy_hint(c))));
    case dns::kRcodeNotAuth:
      return make_error(ErrorCode::kPermissionDenied,
                        line(fmt::format("NOTAUTH: the server is not authoritative for {}, or did not accept TSIG key "
                                         "{}{}: a wrong secret or key name, or clocks more than 300 s apart (PowerDNS "
                                         "answers all of these so): check --zone, {} and the clocks (NTP)",
                                         c.zone, c.key.empty() ? std::string("(none)") : c.key, unsigned_note,
                                         c.key_flag)));
    case dns::kRcodeNotZone:
      return make_error(ErrorCode::kInvalidArgument,
                        line(fmt::format("NOTZONE: a name is outside zone {} as the server has it: check --zone "
                                         "(the zone's apex, as the server's configuration names it)",
                                         c.zone)));
    case dns::kRcodeNotImp:
      return make_error(ErrorCode::kPermissionDenied,
                        line(update ? "NOTIMP: the server does not accept dynamic updates for this zone (PowerDNS: "
                                      "dnsupdate=yes; BIND: update-policy or allow-update; Knot: an update acl)"
                                    : "NOTIMP: the server does not serve zone transfers"));
    case dns::kRcodeServFail:
      return transient_error(ErrorCode::kUnavailable,
                             line("SERVFAIL: the server failed to process it (see the server's log); retrying"));
    case dns::kRcodeFormErr:
      return make_error(ErrorCode::kProtocol, line("FORMERR: the server could not parse the request"));
    default: break;
  }
  if (update && prerequisite_failed(a.rcode)) {
    return transient_error(ErrorCode::kConflict,
                           line(fmt::format("prerequisite failed ({}): the zone changed since ecssd read it (another "
                                            "agent, the reaper or a person); ecssd re-read it and re-plans the change",
                                            rcode)));
  }
  if (!update && a.rcode == dns::kRcodeNxDomain) {
    return make_error(ErrorCode::kNotFound, line(fmt::format("NXDOMAIN: the server has no zone {}: check --zone", c.zone)));
  }
  return make_error(ErrorCode::kProtocol, line(fmt::format("unexpected answer {}{}", rcode, unsigned_note)));
}

}  // namespace ecssd::provider::rfc2136
