#pragma once
// What one health check does: connect to an address over TCP, or send an HTTP
// GET whose status must match a rule, within a deadline. Shared by the agent
// (which checks what it publishes) and the reaper (which checks what it
// finds in the zone).
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace ecssd::health {

enum class CheckKind { kTcp, kHttp, kNone };

std::string_view to_string(CheckKind kind);

// Which HTTP statuses count as healthy: one status or an inclusive range.
struct StatusRule {
  unsigned lo = 200;
  unsigned hi = 399;  // default: any 2xx or 3xx
  bool matches(unsigned status) const { return status >= lo && status <= hi; }
  // "200", "200-299"; the default reads "2xx/3xx".
  std::string describe() const;
  bool operator==(const StatusRule&) const = default;
};

// "200" or "200-299" (100..599, lo <= hi). Errors: kInvalidArgument.
common::Result<StatusRule> parse_status_rule(std::string_view text);

struct CheckSpec {
  CheckKind kind = CheckKind::kTcp;
  std::string address;  // IP literal, v4 or v6 (no brackets)
  uint16_t port = 0;
  std::string http_path = "/";  // kHttp only
  StatusRule status;            // kHttp only
  std::chrono::milliseconds timeout{2000};

  // "10.0.0.1:80" or "[fd00::1]:80".
  std::string target() const;
  // "tcp", "http GET /health expect 200-299", "none".
  std::string describe() const;
  bool operator==(const CheckSpec&) const = default;
};

// Splits "ip:port" or "[v6]:port". Errors: kInvalidArgument naming the text.
common::Status parse_address(std::string_view text, std::string* ip, uint16_t* port);

// True when `path` can be sent as an HTTP request target: it starts with '/'
// and has no spaces or control characters.
bool valid_http_path(std::string_view path);

}  // namespace ecssd::health
