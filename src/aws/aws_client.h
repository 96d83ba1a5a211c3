#pragma once
// The Transport every AWS API client sends through: takes the chain's current
// credentials, signs with SigV4 and sends with the HttpClient.
#include "aws/credentials.h"
#include "aws/http.h"
#include "aws/transport.h"
#include "common/clock.h"

namespace ecssd::aws {

class AwsClient final : public Transport {
 public:
  // `http`, `credentials` and `time` must outlive the client.
  AwsClient(HttpClient& http, CredentialsProvider& credentials, common::TimeSource& time);

  // See Transport::call. Signs with the endpoint's signing name and region,
  // adding X-Amz-Date, X-Amz-Security-Token (temporary credentials) and
  // Authorization. When AWS answers that the credentials expired, the
  // provider is invalidated and the request re-signed and sent once more.
  // Errors: kInvalidArgument when req.url does not start with
  // endpoint.base_url; kPermissionDenied for every credential failure (the
  // chain's message, which names each source tried and how to provide
  // credentials; transient when a source could not be reached); otherwise
  // the HttpClient's errors.
  common::Task<common::Result<HttpResponse>> call(const ServiceEndpoint& endpoint, HttpRequest req) override;

 private:
  common::Task<common::Result<HttpResponse>> do_call(ServiceEndpoint endpoint, HttpRequest req);

  HttpClient& http_;
  CredentialsProvider& credentials_;
  common::TimeSource& time_;
};

}  // namespace ecssd::aws
