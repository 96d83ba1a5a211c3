#include "provider/route53/retry_policy.h"

#include <algorithm>

#include <fmt/format.h>

#include "provider/route53/route53_xml.h"

namespace ecssd::provider::route53 {
namespace {

using common::ErrorCode;
using common::make_error;

bool contains(std::initializer_list<std::string_view> set, std::string_view code) {
  return std::find(set.begin(), set.end(), code) != set.end();
}

bool throttled(unsigned status, const std::string& code) {
  return status == 429 || contains({"Throttling", "ThrottlingException", "RequestLimitExceeded",
                                    "TooManyRequestsException", "PriorRequestNotComplete"},
                                   code);
}

bool bad_credentials(unsigned status, const std::string& code) {
  return status == 403 || contains({"InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken",
                                    "IncompleteSignature", "MissingAuthenticationToken",
                                    "UnrecognizedClientException", "InvalidSignatureException"},
                                   code);
}

Verdict failed(ErrorCode code, std::string message) {
  return Verdict{Verdict::kFailed, false, make_error(code, std::move(message)), {}};
}

}  // namespace

Verdict classify(const common::Result<aws::HttpResponse>& answer, std::string_view operation, bool is_change,
                 const std::string& where) {
  if (!answer.ok()) {
    const common::Error& e = answer.error();
    if (e.transient) return Verdict{Verdict::kRetry, true, e, {}};
    return failed(e.code, fmt::format("Route 53 {} for {}: {}", operation, where, e.message));
  }
  const unsigned status = answer->status;
  if (status >= 200 && status < 300) return Verdict{};
  ApiError api = parse_error(answer->body);
  const std::string detail = api.code.empty() ? fmt::format("HTTP {}: {}", status, api.message)
                                              : fmt::format("{}: {}", api.code, api.message);
  if (throttled(status, api.code)) {
    return Verdict{Verdict::kRetry, false,
                   common::transient_error(ErrorCode::kThrottled,
                                           fmt::format("Route 53 {} for {}: {}", operation, where, detail)),
                   {}};
  }
  if (status >= 500) {
    return Verdict{Verdict::kRetry, true,
                   common::transient_error(ErrorCode::kUnavailable,
                                           fmt::format("Route 53 {} for {}: {}", operation, where, detail)),
                   {}};
  }
  if (is_change && (api.code == "InvalidChangeBatch" || api.code == "InvalidInput")) {
    return Verdict{Verdict::kRefused, false,
                   make_error(api.code == "InvalidInput" ? ErrorCode::kInvalidArgument : ErrorCode::kConflict,
                              "Route 53 refused the change: " + api.message),
                   std::move(api.messages)};
  }
  if (api.code.starts_with("AccessDenied")) {
    return failed(ErrorCode::kPermissionDenied,
                  fmt::format("Route 53 denied route53:{} on {}; allow it for the agent's credentials ({})", operation,
                              where, detail));
  }
  if (bad_credentials(status, api.code)) {
    return failed(ErrorCode::kPermissionDenied,
                  fmt::format("Route 53 rejected the credentials for route53:{} on {} ({})", operation, where, detail));
  }
  if (status == 404 || api.code == "NoSuchHostedZone") {
    return failed(ErrorCode::kNotFound, fmt::format("{} does not exist ({})", where, detail));
  }
  return failed(ErrorCode::kProtocol, fmt::format("Route 53 {} for {} failed: {}", operation, where, detail));
}

}  // namespace ecssd::provider::route53
