#pragma once
// Docker Engine API version negotiation (the "Api-Version" header of GET /_ping).
// Requests are sent under the engine's own version prefix ("/v1.41/..."), so the
// engine answers in the format of the newest API it speaks; the decoders accept
// every format from 1.24 up.
#include <string>
#include <string_view>

#include "common/result.h"

namespace ecssd::source {

struct ApiVersion {
  int major = 0;
  int minor = 0;

  // "1.41"
  std::string to_string() const;
  // The path prefix of every versioned request: "/v1.41".
  std::string prefix() const;
  auto operator<=>(const ApiVersion&) const = default;
};

// The oldest engine API ecssd speaks (Docker 1.12).
inline constexpr ApiVersion kMinApiVersion{1, 24};

// Parses "1.41". Errors: kProtocol naming the text when it is not <digits>.<digits>.
common::Result<ApiVersion> parse_api_version(std::string_view text);

// Picks the version to use from the Api-Version header of GET /_ping. An engine
// that sends no header predates API 1.25, so 1.24 is used. Errors: kProtocol for
// a malformed header or an engine older than kMinApiVersion (not transient: the
// engine must be upgraded).
common::Result<ApiVersion> negotiate_api_version(std::string_view header);

}  // namespace ecssd::source
