#include "aws/errors.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <pugixml.hpp>

namespace ecssd::aws {
namespace {

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

// "com.amazonaws.ecs#ClusterNotFoundException" or "X:http://..." -> bare code.
std::string bare_code(std::string code) {
  if (auto hash = code.rfind('#'); hash != std::string::npos) code.erase(0, hash + 1);
  if (auto colon = code.find(':'); colon != std::string::npos) code.resize(colon);
  return code;
}

bool parse_xml(const std::string& body, AwsErrorInfo* out) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return false;
  // Route 53: ErrorResponse/Error; EC2: Response/Errors/Error.
  pugi::xml_node err = doc.child("ErrorResponse").child("Error");
  if (!err) err = doc.child("Response").child("Errors").child("Error");
  if (!err) err = doc.child("Error");
  if (!err) return false;
  out->code = err.child_value("Code");
  out->message = err.child_value("Message");
  out->request_id = doc.child("ErrorResponse").child_value("RequestId");
  if (out->request_id.empty()) out->request_id = doc.child("Response").child_value("RequestID");
  return !out->code.empty();
}

bool parse_json(const std::string& body, AwsErrorInfo* out) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return false;
  const auto& o = v.as_object();
  for (const char* key : {"__type", "code", "Code"}) {
    if (auto* t = o.if_contains(key); t && t->is_string()) {
      out->code = bare_code(std::string(t->as_string()));
      break;
    }
  }
  for (const char* key : {"message", "Message", "errorMessage"}) {
    if (auto* m = o.if_contains(key); m && m->is_string()) {
      out->message = std::string(m->as_string());
      break;
    }
  }
  return !out->code.empty();
}

}  // namespace

AwsErrorInfo parse_aws_error(const HttpResponse& response) {
  AwsErrorInfo info;
  const std::string& body = response.body;
  size_t first = body.find_first_not_of(" \t\r\n");
  if (first != std::string::npos) {
    if (body[first] == '<') {
      parse_xml(body, &info);
    } else if (body[first] == '{') {
      parse_json(body, &info);
    }
  }
  if (info.code.empty()) {
    if (auto t = response.header("x-amzn-ErrorType"); !t.empty()) info.code = bare_code(t);
  }
  if (info.request_id.empty()) info.request_id = response.header("x-amzn-RequestId");
  if (info.request_id.empty()) info.request_id = response.header("x-amz-request-id");
  return info;
}

bool is_expired_credentials(std::string_view code) {
  return code == "ExpiredToken" || code == "ExpiredTokenException" || code == "RequestExpired" ||
         code == "InvalidToken";
}

bool is_throttling(std::string_view code) {
  return code == "Throttling" || code == "ThrottlingException" || code == "ThrottledException" ||
         code == "RequestLimitExceeded" || code == "TooManyRequestsException" || code == "RequestThrottled" ||
         code == "RequestThrottledException" || code == "SlowDown" || code == "PriorRequestNotComplete" ||
         code == "ProvisionedThroughputExceededException" || code == "BandwidthLimitExceeded" ||
         code == "LimitExceededException" || code == "EC2ThrottledException";
}

common::Error aws_error(const HttpResponse& response, std::string_view operation) {
  AwsErrorInfo info = parse_aws_error(response);
  using common::ErrorCode;
  ErrorCode code;
  bool transient = false;
  const unsigned s = response.status;
  if (is_throttling(info.code) || s == 429) {
    code = ErrorCode::kThrottled;
    transient = true;
  } else if (s >= 500) {
    code = ErrorCode::kUnavailable;
    transient = true;
  } else if (s == 401 || s == 403 || is_expired_credentials(info.code) || contains(info.code, "AccessDenied") ||
             info.code == "UnrecognizedClientException" || info.code == "InvalidClientTokenId" ||
             info.code == "SignatureDoesNotMatch" || info.code == "AuthFailure" ||
             info.code == "IncompleteSignature" || info.code == "MissingAuthenticationToken") {
    code = ErrorCode::kPermissionDenied;
  } else if (s == 404 || contains(info.code, "NotFound") || info.code.rfind("NoSuch", 0) == 0) {
    code = ErrorCode::kNotFound;
  } else if (s == 409) {
    code = ErrorCode::kConflict;
  } else {
    code = ErrorCode::kInvalidArgument;
  }
  std::string msg(operation);
  msg += ": HTTP " + std::to_string(s);
  if (!info.code.empty()) msg += " " + info.code;
  if (!info.message.empty()) msg += ": " + info.message;
  if (!info.request_id.empty()) msg += " (request id " + info.request_id + ")";
  return common::Error{code, std::move(msg), transient};
}

}  // namespace ecssd::aws
