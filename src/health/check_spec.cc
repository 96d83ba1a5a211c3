#include "health/check_spec.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>

namespace ecssd::health {
namespace {

using common::ErrorCode;
using common::make_error;

std::optional<unsigned> parse_uint(std::string_view s) {
  unsigned v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string_view to_string(CheckKind kind) {
  switch (kind) {
    case CheckKind::kTcp: return "tcp";
    case CheckKind::kHttp: return "http";
    case CheckKind::kNone: return "none";
  }
  return "?";
}

std::string StatusRule::describe() const {
  if (lo == 200 && hi == 399) return "2xx/3xx";
  if (lo == hi) return std::to_string(lo);
  return fmt::format("{}-{}", lo, hi);
}

common::Result<StatusRule> parse_status_rule(std::string_view text) {
  auto dash = text.find('-');
  auto lo = parse_uint(text.substr(0, dash));
  auto hi = dash == std::string_view::npos ? lo : parse_uint(text.substr(dash + 1));
  if (!lo || !hi || *lo < 100 || *hi > 599 || *lo > *hi) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("\"{}\" is not an HTTP status or range (e.g. \"200\" or \"200-299\")", text));
  }
  return StatusRule{*lo, *hi};
}

std::string CheckSpec::target() const {
  return address.find(':') != std::string::npos ? fmt::format("[{}]:{}", address, port)
                                                 : fmt::format("{}:{}", address, port);
}

std::string CheckSpec::describe() const {
  switch (kind) {
    case CheckKind::kTcp: return "tcp";
    case CheckKind::kHttp: return fmt::format("http GET {} expect {}", http_path, status.describe());
    case CheckKind::kNone: return "none";
  }
  return "?";
}

common::Status parse_address(std::string_view text, std::string* ip, uint16_t* port) {
  auto fail = [&] {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("\"{}\" is not an address:port (e.g. 10.0.0.1:80 or [fd00::1]:80)", text));
  };
  std::string_view host, port_text;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return fail();
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) return fail();
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  auto p = parse_uint(port_text);
  if (!p || *p == 0 || *p > 65535) return fail();
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(std::string(host), ec);
  if (ec || (text.starts_with('[') != addr.is_v6())) return fail();
  *ip = addr.to_string();
  *port = static_cast<uint16_t>(*p);
  return {};
}

bool valid_http_path(std::string_view path) {
  return !path.empty() && path.front() == '/' &&
         std::none_of(path.begin(), path.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; });
}

}  // namespace ecssd::health
