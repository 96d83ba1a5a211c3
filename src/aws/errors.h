#pragma once
// AWS error answers, read from any of the protocols ecssd speaks and mapped to
// ecssd's error codes, so every API client reports failures the same way.
#include <string>
#include <string_view>

#include "aws/http.h"
#include "common/result.h"

namespace ecssd::aws {

struct AwsErrorInfo {
  std::string code;     // "Throttling", "NoSuchHostedZone"... empty when the body names none
  std::string message;  // the service's message, possibly empty
  std::string request_id;
};

// Reads REST-XML (<ErrorResponse><Error><Code>, Route 53), query/EC2 XML
// (<Response><Errors><Error><Code>) and JSON 1.0/1.1 ({"__type": "ns#Code",
// "message": ...}, ECS and EventBridge) error bodies; the x-amzn-ErrorType
// header when the body says nothing. Never fails: unknown bodies give an
// empty code.
AwsErrorInfo parse_aws_error(const HttpResponse& response);

// True for the codes AWS answers when temporary credentials have expired.
bool is_expired_credentials(std::string_view code);
// True for the codes AWS uses to ask callers to slow down.
bool is_throttling(std::string_view code);

// The error for a non-2xx answer to `operation` ("ECS ListTasks"):
// throttling codes and 429 are kThrottled, 5xx kUnavailable (both
// transient); authentication and authorization failures (401, 403,
// AccessDenied*, UnrecognizedClient, InvalidClientTokenId,
// SignatureDoesNotMatch, expired tokens) kPermissionDenied; 404 and
// *NotFound*/NoSuch* codes kNotFound; 409 kConflict; other 4xx
// kInvalidArgument. The message reads "<operation>: HTTP <status> <Code>:
// <Message> (request id <id>)".
common::Error aws_error(const HttpResponse& response, std::string_view operation);

}  // namespace ecssd::aws
