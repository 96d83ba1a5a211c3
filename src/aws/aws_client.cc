#include "aws/aws_client.h"

#include "aws/errors.h"
#include "aws/sigv4.h"
#include "common/log.h"

namespace ecssd::aws {

AwsClient::AwsClient(HttpClient& http, CredentialsProvider& credentials, common::TimeSource& time)
    : http_(http), credentials_(credentials), time_(time) {}

common::Task<common::Result<HttpResponse>> AwsClient::call(const ServiceEndpoint& endpoint, HttpRequest req) {
  // Copied into the coroutine frame before any suspension.
  return do_call(endpoint, std::move(req));
}

common::Task<common::Result<HttpResponse>> AwsClient::do_call(ServiceEndpoint endpoint, HttpRequest req) {
  const std::string& base = endpoint.base_url;
  bool prefix_ok = req.url.compare(0, base.size(), base) == 0 &&
                   (req.url.size() == base.size() || req.url[base.size()] == '/' || req.url[base.size()] == '?');
  if (base.empty() || !prefix_ok) {
    co_return common::make_error(common::ErrorCode::kInvalidArgument,
                                 "request URL " + req.url + " is not under the endpoint " + base);
  }
  SigV4Signer signer(endpoint.signing_name, endpoint.region);
  for (int attempt = 0;; ++attempt) {
    auto creds = co_await credentials_.credentials();
    if (!creds) {
      const auto& e = creds.error();
      co_return common::Error{common::ErrorCode::kPermissionDenied, e.message, e.transient};
    }
    HttpRequest signed_req = req;
    if (auto s = signer.sign(signed_req, *creds, time_.system_now()); !s) co_return s.error();
    auto r = co_await http_.send(std::move(signed_req));
    if (r && attempt == 0 && (r->status == 400 || r->status == 401 || r->status == 403)) {
      auto info = parse_aws_error(*r);
      if (is_expired_credentials(info.code)) {
        log::info("AWS credentials expired early; fetching new ones",
                  {{"service", endpoint.signing_name}, {"source", creds->source}, {"code", info.code}});
        credentials_.invalidate();
        continue;
      }
    }
    co_return r;
  }
}

}  // namespace ecssd::aws
