#pragma once
// How API clients (Route 53, EventBridge, ECS, EC2) reach AWS: they build an
// unsigned HttpRequest for a service endpoint; the transport resolves
// credentials, signs with SigV4 and sends it. Unit tests give the API clients a
// fake transport that answers recorded responses.
#include <string>

#include "aws/http.h"

namespace ecssd::aws {

struct ServiceEndpoint {
  // SigV4 signing name: "route53", "events", "ecs", "ec2".
  std::string signing_name;
  // SigV4 signing region ("us-east-1" for Route 53's global endpoint).
  std::string region;
  // Scheme, host and optional port, no trailing slash:
  // "https://route53.amazonaws.com" or an override such as "http://127.0.0.1:5000".
  std::string base_url;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Signs `req` (whose url must start with endpoint.base_url) and sends it.
  // Errors: kPermissionDenied when no credentials can be found (the message
  // says which sources were tried and how to provide one); otherwise the
  // HttpClient's errors. HTTP error statuses are returned as responses.
  virtual common::Task<common::Result<HttpResponse>> call(const ServiceEndpoint& endpoint, HttpRequest req) = 0;
};

}  // namespace ecssd::aws
