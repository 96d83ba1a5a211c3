#pragma once
// One line per server answer that says what to fix: the RCODEs of RFC 2136
// and the TSIG errors of RFC 8945, for updates and for transfers. The lines
// name the key (never its secret), the zone, the server and the flag to
// check; docs/RFC2136.md lists them with what to do.
#include <string>

#include "common/result.h"
#include "dns/server_answer.h"

namespace ecssd::provider::rfc2136 {

struct AnswerContext {
  enum class Exchange { kUpdate, kTransfer } exchange = Exchange::kUpdate;
  std::string zone;
  std::string server;
  std::string key;       // "name (algorithm)", or empty without a key
  std::string key_flag;  // "--tsig-key-file" or "--rfc2136-axfr-key-file"
};

// The error for an answer that is not a plain success (!answer.ok()):
//  BADSIG, BADKEY, BADTIME (with the clock difference), REFUSED, NOTAUTH:
//    kPermissionDenied; NOTZONE: kInvalidArgument; NXDOMAIN of a transfer:
//    kNotFound; NOTIMP: kPermissionDenied; FORMERR: kProtocol;
//  SERVFAIL: transient kUnavailable;
//  the prerequisite RCODEs (YXDOMAIN, YXRRSET, NXDOMAIN, NXRRSET) of an
//    update: transient kConflict (re-read, re-planned);
//  a NOERROR answer whose signature does not verify: kPermissionDenied.
common::Error answer_error(const dns::ServerAnswer& answer, const AnswerContext& context);

// True for the RCODEs an UPDATE's failed prerequisites give.
bool prerequisite_failed(uint16_t rcode);

}  // namespace ecssd::provider::rfc2136
