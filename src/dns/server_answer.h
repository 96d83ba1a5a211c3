#pragma once
// What the UPDATE and transfer clients need to reach an authoritative
// server, and what a server's answer said beyond its records: the RCODE and
// both sides of TSIG (the server's verdict on our signature, ours on its).
// The clients report these as data; the caller (the RFC 2136 provider)
// turns them into one line that says what to fix.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/result.h"
#include "common/time_system.h"
#include "dns/tsig.h"

namespace ecssd::dns {

struct ServerOptions {
  std::string server;              // "127.0.0.1:53", "[::1]:5353"
  std::optional<TsigSigner> key;   // unsigned requests when empty
  std::chrono::milliseconds timeout{5000};  // per exchange
  common::TimeSystem* time = nullptr;       // required: the exchange's deadline
};

struct ServerAnswer {
  uint16_t rcode = 0;  // extended RCODE (with EDNS's upper bits)
  // The server's verdict on our request's signature (BADSIG, BADKEY, BADTIME).
  ServerTsigVerdict tsig;
  // Ours on the answer's: ok when it verified (or no key is configured);
  // else kPermissionDenied saying what is wrong (unsigned, bad MAC...).
  common::Status signature;

  bool ok() const { return rcode == 0 && tsig.error == 0 && signature.ok(); }
};

// Octets moved by one client call, length prefixes included.
struct WireStats {
  size_t bytes_sent = 0;
  size_t bytes_received = 0;
  size_t messages = 0;  // answers received
  WireStats& operator+=(const WireStats& o) {
    bytes_sent += o.bytes_sent;
    bytes_received += o.bytes_received;
    messages += o.messages;
    return *this;
  }
};

}  // namespace ecssd::dns
