#include "aws/url.h"

#include <cctype>
#include <charconv>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace ecssd::aws {
namespace {

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string ParsedUrl::origin() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return scheme + "://" + h + ":" + std::to_string(port);
}

common::Result<ParsedUrl> parse_url(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return common::make_error(common::ErrorCode::kInvalidArgument,
                              "invalid URL \"" + std::string(url) + "\": " + std::string(why));
  };
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return bad(parsed.error().message());
  const boost::urls::url_view& u = *parsed;
  ParsedUrl out;
  out.scheme = std::string(u.scheme());
  for (auto& c : out.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  uint16_t default_port = 0;
  if (out.scheme == "http") {
    default_port = 80;
  } else if (out.scheme == "https") {
    default_port = 443;
  } else {
    return bad("scheme must be http or https");
  }
  if (!u.has_authority() || u.encoded_host().empty()) return bad("no host");
  out.host = u.host_address();
  for (auto& c : out.host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (u.has_port()) {
    std::string_view p = u.port();
    unsigned long n = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || n == 0 || n > 65535) {
      return bad("port must be 1-65535");
    }
    out.port = static_cast<uint16_t>(n);
  } else {
    out.port = default_port;
  }
  out.authority = std::string(u.encoded_host());
  for (auto& c : out.authority) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (out.port != default_port) out.authority += ":" + std::to_string(out.port);
  out.path = std::string(u.encoded_path());
  if (out.path.empty()) out.path = "/";
  if (u.has_query()) out.query = std::string(u.encoded_query());
  return out;
}

std::string uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (unreserved(c) || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string uri_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hex_value(s[i + 1]);
      int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>((hi << 4) | lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string encode_query(const QueryParams& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += uri_encode(k);
    out += '=';
    out += uri_encode(v);
  }
  return out;
}

}  // namespace ecssd::aws
