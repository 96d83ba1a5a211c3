#include "aws/protocol.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "aws/errors.h"

namespace ecssd::aws {

common::Task<common::Result<boost::json::object>> call_json(Transport* transport, ServiceEndpoint endpoint,
                                                            std::string target, boost::json::object request,
                                                            std::string operation) {
  HttpRequest req;
  req.method = "POST";
  req.url = endpoint.base_url + "/";
  req.headers.emplace_back("Content-Type", "application/x-amz-json-1.1");
  req.headers.emplace_back("X-Amz-Target", target);
  req.body = boost::json::serialize(request);
  auto r = co_await transport->call(endpoint, std::move(req));
  if (!r) co_return r.error();
  if (r->status < 200 || r->status >= 300) co_return aws_error(*r, operation);
  boost::system::error_code ec;
  auto v = boost::json::parse(r->body, ec);
  if (ec || !v.is_object()) {
    co_return common::make_error(common::ErrorCode::kProtocol, operation + ": the answer is not a JSON object");
  }
  co_return std::move(v.as_object());
}

common::Task<common::Result<std::string>> call_query(Transport* transport, ServiceEndpoint endpoint, QueryParams params,
                                                     std::string operation) {
  HttpRequest req;
  req.method = "POST";
  req.url = endpoint.base_url + "/";
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  req.body = encode_query(params);
  auto r = co_await transport->call(endpoint, std::move(req));
  if (!r) co_return r.error();
  if (r->status < 200 || r->status >= 300) co_return aws_error(*r, operation);
  co_return std::move(r->body);
}

common::Result<bool> pagination_done(const std::string& token, std::string& previous, int page, int max_pages,
                                     std::string_view operation) {
  if (token.empty()) return true;
  if (token == previous) {
    return common::make_error(common::ErrorCode::kProtocol,
                              std::string(operation) + ": the service repeated a pagination token");
  }
  if (page >= max_pages) {
    return common::make_error(common::ErrorCode::kProtocol, std::string(operation) + ": more than " +
                                                                std::to_string(max_pages) + " pages");
  }
  previous = token;
  return false;
}

}  // namespace ecssd::aws
