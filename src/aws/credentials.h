#pragma once
// AWS credentials and the interface every credential source implements. The
// default chain (credentials_chain.h) tries the sources in the AWS SDKs'
// standard order; CachingCredentialsProvider keeps the result until shortly
// before it expires so credentials are fetched per expiry, never per request.
#include <optional>
#include <string>

#include "aws/http.h"
#include "common/clock.h"
#include "common/result.h"

namespace ecssd::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;  // never logged
  std::string session_token;      // empty for long-term keys; never logged
  // When temporary credentials stop working; nullopt for long-term keys.
  std::optional<common::SystemTime> expiration;
  // Where they came from, for logs and errors ("environment", "profile default
  // in /root/.aws/credentials", "ECS container endpoint", "EC2 instance role r").
  std::string source;
};

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;

  // Returns credentials from this source.
  // Errors: kNotFound when this source is not configured or has nothing (a
  // chain then tries the next source; the message says why, e.g.
  // "AWS_ACCESS_KEY_ID is not set"). Any other code means the source is
  // configured but failed (kInvalidArgument for a malformed file or partial
  // keys, kUnavailable/kTimeout (transient) for an unreachable endpoint,
  // kProtocol for a malformed answer, kPermissionDenied when the endpoint
  // refused): a chain stops there rather than silently using another identity.
  virtual common::Task<common::Result<Credentials>> credentials() = 0;

  // Drops any cached credentials so the next credentials() fetches anew (after
  // AWS answered ExpiredToken). Sources without a cache ignore it.
  virtual void invalidate() {}

  // A short name for error messages: "environment", "shared config files"...
  virtual std::string name() const = 0;
};

}  // namespace ecssd::aws
