#pragma once
// The two AWS wire protocols the small API clients use, on top of Transport:
// JSON 1.1 (ECS, EventBridge) and query (EC2).
#include <string>

#include <boost/json/object.hpp>

#include "aws/transport.h"
#include "aws/url.h"
#include "common/result.h"

namespace ecssd::aws {

// POST / with Content-Type application/x-amz-json-1.1 and X-Amz-Target
// `target` ("AmazonEC2ContainerServiceV20141113.ListTasks"). `operation`
// names the call in errors ("ECS ListTasks").
// Errors: aws_error() of a non-2xx answer; kProtocol for an answer that is
// not a JSON object; the transport's errors.
common::Task<common::Result<boost::json::object>> call_json(Transport* transport, ServiceEndpoint endpoint,
                                                            std::string target, boost::json::object request,
                                                            std::string operation);

// POST / with a form-encoded body of `params` (which hold Action and Version).
// Returns the XML body of a 2xx answer. Errors as call_json, without the JSON
// check.
common::Task<common::Result<std::string>> call_query(Transport* transport, ServiceEndpoint endpoint, QueryParams params,
                                                     std::string operation);

// Guards a pagination loop: true when `token` is empty (done). Errors:
// kProtocol when the service repeats a token or exceeds `max_pages`.
common::Result<bool> pagination_done(const std::string& token, std::string& previous, int page, int max_pages,
                                     std::string_view operation);

}  // namespace ecssd::aws
