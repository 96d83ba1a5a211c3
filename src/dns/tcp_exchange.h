#pragma once
// Internal to src/dns: one DNS request over TCP (RFC 7766 framing: a 16-bit
// length before each message) and the answers to it, within one deadline
// taken from the TimeSystem, TSIG-signed and verified when a key is given.
// Used by the UPDATE and transfer clients.
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/task.h"
#include "dns/server_answer.h"

struct knot_pkt;

namespace ecssd::dns::detail {

// The answers of a one-answer exchange (UPDATE, SOA query) add up to at most this.
inline constexpr size_t kMaxTcpAnswer = 65535 + 2;

// One answer, parsed by libknot (its TSIG RR split off), checked to answer
// the request (same id, QR set), with what it says about TSIG.
struct ParsedAnswer {
  knot_pkt* pkt = nullptr;
  ServerAnswer answer;
  // With a key: every answer so far is covered by a verified signature (a
  // transfer's last message must be signed). Always true without a key.
  bool covered = true;
};

// Returns true when the exchange is complete, false to read the next
// answer, an error to stop with it.
using AnswerHandler = std::function<common::Result<bool>(ParsedAnswer& answer)>;

// Signs `request` (an unsigned message) with options.key when set, connects
// to options.server, sends it and hands each answer to `on_answer` until it
// is done, on the calling coroutine's executor. `what` names the exchange
// in errors ("UPDATE of zone x"). Errors: kInvalidArgument (bad server);
// kTooLarge (no room for the signature, or answers over max_bytes);
// transient kUnavailable (cannot connect, connection closed or reset) and
// kTimeout; kProtocol (an answer that does not parse or answers another
// message); whatever on_answer returns.
common::Task<common::Status> exchange(const ServerOptions& options, std::vector<uint8_t> request, size_t max_bytes,
                                      AnswerHandler on_answer, WireStats* stats, std::string_view what);

}  // namespace ecssd::dns::detail
