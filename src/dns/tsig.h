#pragma once
// TSIG (RFC 8945): signing a request and verifying the answers to it, with
// libknot's knot_tsig_* functions. TsigSigner is what other rooms hold (a
// key ready for use); TsigExchange is used by src/dns's own clients: it takes
// libknot packets (knot_pkt_t, forward-declared here so that this header
// does not pull libknot into its users).
//
// What libknot lacks and this file adds: the state of one exchange across
// several answers (a zone transfer may leave up to 99 messages unsigned
// between signed ones, RFC 8945 section 5.3.1, and the MAC of the next
// signed one covers them all), and reading the server's own TSIG verdict
// (BADSIG, BADKEY, BADTIME with the server's clock) out of an answer.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "dns/tsig_key.h"

struct knot_pkt;

namespace ecssd::dns {

// TSIG error codes (RFC 8945 section 3, IANA "DNS RCODEs").
inline constexpr uint16_t kTsigBadSig = 16;
inline constexpr uint16_t kTsigBadKey = 17;
inline constexpr uint16_t kTsigBadTime = 18;
inline constexpr uint16_t kTsigBadTrunc = 22;

// A key ready for signing. Cheap to copy (shares the key material).
class TsigSigner {
 public:
  // Errors: kInvalidArgument when libknot refuses the key (bad name or
  // secret); the message names the key, never its secret.
  static common::Result<TsigSigner> make(const TsigKey& key);

  // The most octets signing adds to a message (the TSIG RR).
  size_t max_rr_size() const;
  // "name (algorithm)".
  std::string describe() const;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  explicit TsigSigner(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// What the server's TSIG RR in an answer says about our request.
struct ServerTsigVerdict {
  // 0, or kTsigBadSig / kTsigBadKey / kTsigBadTime / kTsigBadTrunc.
  uint16_t error = 0;
  // With BADTIME: the server's clock minus ours, in seconds (from the
  // server's time in the TSIG RR's Other Data, RFC 8945 section 5.2.3).
  std::optional<int64_t> server_clock_ahead;
};

// One request and the answers to it, in order, over one connection.
class TsigExchange {
 public:
  explicit TsigExchange(TsigSigner signer);

  // Appends the TSIG RR to the request in `wire` (its size grows; `capacity`
  // bounds it) and keeps the request MAC for the answers. Errors:
  // kTooLarge when the signed message would not fit; kInternal otherwise.
  common::Status sign(uint8_t* wire, size_t* size, size_t capacity);

  // Checks one parsed answer (knot_pkt_parse'd, so its TSIG RR is split off).
  // The first answer must be signed; later ones may be unsigned (at most 99
  // in a row) and are covered by the next signed one. Errors:
  // kPermissionDenied with what is wrong: not signed, a MAC that does not
  // verify (another secret), another key name or algorithm, a time outside
  // the fudge (with the difference in seconds), too many unsigned messages.
  common::Status verify(knot_pkt* answer);

  // True when the last answer verify() accepted was signed (a transfer's
  // last message must be: call this at its end).
  bool last_signed() const { return unsigned_.empty(); }

  // The server's verdict on our request, read from the answer's TSIG RR
  // (which the server cannot sign when the error is BADSIG or BADKEY).
  ServerTsigVerdict server_verdict(const knot_pkt* answer) const;

 private:
  TsigSigner signer_;
  std::vector<uint8_t> mac_;      // the last verified MAC (the request's at first)
  uint64_t time_signed_ = 0;      // of the request
  uint64_t last_answer_time_ = 0;  // time signed of the last verified answer
  bool first_ = true;
  std::vector<uint8_t> unsigned_;  // unsigned answers since the last signed one
  size_t unsigned_count_ = 0;
};

}  // namespace ecssd::dns
