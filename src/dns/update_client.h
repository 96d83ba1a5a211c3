#pragma once
// Sends one DNS UPDATE (RFC 2136) over TCP, TSIG-signed when a key is given,
// and returns the server's answer once its own signature was checked.
#include <string_view>

#include "common/result.h"
#include "common/task.h"
#include "dns/server_answer.h"
#include "dns/update_message.h"

namespace ecssd::dns {

struct UpdateAnswer {
  ServerAnswer answer;
  WireStats wire;
};

// The most octets the request of send_update() may take before signing
// (kMaxTcpMessage less the TSIG RR of `options.key`).
size_t max_update_size(const ServerOptions& options);

// Builds, signs and sends the UPDATE for `zone`, on the calling coroutine's
// executor. Any answer the server gave is returned as data (answer.rcode,
// answer.tsig, answer.signature): the caller judges it. Errors (no answer to
// judge): kInvalidArgument/kTooLarge from build_update; transient
// kUnavailable/kTimeout (connection refused, reset, no answer in time: the
// update may or may not have been applied); kProtocol for an answer that is
// not a well-formed reply to this message.
common::Task<common::Result<UpdateAnswer>> send_update(const ServerOptions& options, std::string_view zone,
                                                       const UpdateRequest& request);

}  // namespace ecssd::dns
