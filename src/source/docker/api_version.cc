#include "source/docker/api_version.h"

#include <charconv>

#include <fmt/format.h>

namespace ecssd::source {
namespace {

bool parse_int(std::string_view s, int* out) {
  if (s.empty() || s.size() > 4 || s.find_first_not_of("0123456789") != std::string_view::npos) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string ApiVersion::to_string() const { return fmt::format("{}.{}", major, minor); }

std::string ApiVersion::prefix() const { return fmt::format("/v{}.{}", major, minor); }

common::Result<ApiVersion> parse_api_version(std::string_view text) {
  size_t dot = text.find('.');
  ApiVersion v;
  if (dot == std::string_view::npos || !parse_int(text.substr(0, dot), &v.major) ||
      !parse_int(text.substr(dot + 1), &v.minor)) {
    return common::make_error(common::ErrorCode::kProtocol,
                              fmt::format("malformed Docker API version \"{}\" (expected e.g. \"1.41\")", text));
  }
  return v;
}

common::Result<ApiVersion> negotiate_api_version(std::string_view header) {
  if (header.empty()) return kMinApiVersion;
  auto v = parse_api_version(header);
  if (!v.ok()) return v.error();
  if (*v < kMinApiVersion) {
    return common::make_error(common::ErrorCode::kProtocol,
                              fmt::format("the engine speaks Docker API {}, older than the oldest supported {}",
                                          v->to_string(), kMinApiVersion.to_string()));
  }
  return v;
}

}  // namespace ecssd::source
