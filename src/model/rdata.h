#pragma once
// Presentation-form RDATA helpers shared by the registry and the providers.
// Written by hand because the only presentation parsers in Debian (libzscanner,
// ldns) parse whole zone files, not one TXT value.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace ecssd::model {

// ["a b", "c\"d"] -> "\"a b\" \"c\\\"d\"". Strings longer than 255 octets are
// split into several character-strings (RFC 1035 section 3.3.14 allows many).
std::string txt_encode(const std::vector<std::string>& strings);

// The reverse: quoted or bare character-strings separated by spaces, with
// \" \\ and \DDD escapes. Errors: kInvalidArgument for unterminated quotes,
// bad escapes, or a string over 255 octets.
common::Result<std::vector<std::string>> txt_decode(std::string_view presentation);

struct Srv {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  std::string target;  // normalized, no trailing dot
};
common::Result<Srv> parse_srv(std::string_view presentation);
std::string format_srv(const Srv& srv);

}  // namespace ecssd::model
