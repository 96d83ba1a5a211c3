#pragma once
// EC2 instance metadata (IMDSv2): what the agent learns about its host on EC2
// (hostname, private address, instance id, region) and the instance role's
// credentials. Asked lazily, only when something needs it; off EC2 it fails
// fast (1 s timeout, 1 retry, then a remembered failure).
#include <chrono>
#include <optional>
#include <string>

#include "common/environment.h"
#include "aws/http.h"
#include "aws/single_flight.h"
#include "common/clock.h"
#include "common/result.h"

namespace ecssd::aws {

class InstanceMetadata {
 public:
  virtual ~InstanceMetadata() = default;

  // Reads one metadata item, `path` relative to /latest/meta-data/ (e.g.
  // "instance-id", "iam/security-credentials/"). Returns the body as is.
  // Errors: kNotFound (404) when this instance has no such item;
  // kUnavailable when the service is disabled (AWS_EC2_METADATA_DISABLED,
  // not transient) or cannot be reached (transient: not on EC2, or IMDS is
  // down); kTimeout (transient) when it does not answer in time.
  virtual common::Task<common::Result<std::string>> get(std::string path) = 0;

  // False when the service is known to be off (disabled by configuration),
  // so callers can skip it without a request.
  virtual bool enabled() const = 0;

  // Convenience readers; same errors as get().
  common::Task<common::Result<std::string>> instance_id() { return get("instance-id"); }
  common::Task<common::Result<std::string>> local_hostname() { return get("local-hostname"); }
  common::Task<common::Result<std::string>> local_ipv4() { return get("local-ipv4"); }
  common::Task<common::Result<std::string>> region() { return get("placement/region"); }
};

struct ImdsOptions {
  // Base URL of the service.
  std::string endpoint = "http://169.254.169.254";
  bool disabled = false;
  // Per attempt, and how many attempts (1 s and 2 attempts: one retry).
  std::chrono::milliseconds timeout{1000};
  int attempts = 2;
  // Lifetime of the session token asked for (the service allows up to 6 h).
  std::chrono::seconds token_ttl{21600};
  // After the service proved unreachable, calls fail at once for this long.
  std::chrono::seconds unreachable_backoff{60};

  // AWS_EC2_METADATA_DISABLED, AWS_EC2_METADATA_SERVICE_ENDPOINT,
  // AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE (IPv4|IPv6),
  // AWS_METADATA_SERVICE_TIMEOUT (seconds), AWS_METADATA_SERVICE_NUM_ATTEMPTS.
  // Unparseable numbers keep the defaults.
  static ImdsOptions from_env(const common::Environment& env);
};

// IMDSv2 only: a session token is fetched with PUT /latest/api/token and sent
// with every GET. No fallback to IMDSv1 (tokenless) requests: least privilege,
// and AWS recommends requiring v2.
class Imdsv2Client final : public InstanceMetadata {
 public:
  // `http` and `time` must outlive the client.
  Imdsv2Client(HttpClient& http, common::TimeSource& time, ImdsOptions options);

  common::Task<common::Result<std::string>> get(std::string path) override;
  bool enabled() const override { return !options_.disabled; }

  const ImdsOptions& options() const { return options_; }

 private:
  struct Token {
    std::string value;  // a secret: never logged
    common::SteadyTime refresh_at;
  };
  common::Task<common::Result<std::string>> token();
  common::Task<common::Result<std::string>> fetch_token();
  common::Task<common::Result<HttpResponse>> send(HttpRequest req);
  common::Error unreachable_error(const common::Error& cause) const;

  HttpClient& http_;
  common::TimeSource& time_;
  ImdsOptions options_;
  std::optional<Token> token_;
  SingleFlight<common::Result<std::string>> token_flight_;
  std::optional<common::SteadyTime> unreachable_until_;
  std::string last_unreachable_reason_;
};

}  // namespace ecssd::aws
