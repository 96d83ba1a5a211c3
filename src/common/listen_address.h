#pragma once
// "address:port" as the listen and server flags take it: "127.0.0.1:8053",
// "[::1]:53". One parser for --dns-listen, --metrics-listen and the AXFR
// client's server, so every flag accepts and rejects the same things.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace ecssd::common {

struct ListenAddress {
  std::string address;  // an IP address literal, without brackets
  uint16_t port = 0;
};

// Errors: kInvalidArgument, naming the text and what is wrong with it.
Result<ListenAddress> parse_listen(std::string_view text);

}  // namespace ecssd::common
