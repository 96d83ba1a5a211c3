#pragma once
// URL splitting (Boost.URL underneath) and the percent-encoding rules AWS
// specifies for SigV4 and for query-protocol bodies.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace ecssd::aws {

struct ParsedUrl {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // for connecting: DNS name or IP literal without brackets
  std::string authority;  // for the Host header: host (IPv6 in brackets), ":port" unless the scheme's default
  uint16_t port = 0;      // explicit or the scheme's default
  std::string path;       // encoded path as in the URL, "/" when empty
  std::string query;      // encoded query without '?', may be empty
  bool tls() const { return scheme == "https"; }
  // "/path?query": the request target.
  std::string target() const { return query.empty() ? path : path + "?" + query; }
  // "scheme://host:port": the key of a connection pool.
  std::string origin() const;
};

// Splits an absolute http:// or https:// URL.
// Errors: kInvalidArgument naming the URL when it is not an absolute http(s)
// URL with a host, or its port is out of range.
common::Result<ParsedUrl> parse_url(std::string_view url);

// AWS URI encoding: every byte except A-Z a-z 0-9 - _ . ~ becomes %XX (upper
// case hex); '/' is kept when keep_slash.
std::string uri_encode(std::string_view s, bool keep_slash = false);

// Percent-decoding ("%41" -> "A"); malformed escapes are kept verbatim and
// '+' is not a space (AWS query strings are not form-encoded).
std::string uri_decode(std::string_view s);

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// "k1=v1&k2=v2" with keys and values uri_encode()d, in the given order.
std::string encode_query(const QueryParams& params);

}  // namespace ecssd::aws
