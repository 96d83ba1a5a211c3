#pragma once
// The default credential chain and the cache that refreshes temporary
// credentials ahead of their expiry.
#include <chrono>
#include <memory>
#include <vector>

#include "aws/credential_sources.h"
#include "aws/credentials.h"
#include "common/environment.h"
#include "aws/instance_metadata.h"
#include "aws/single_flight.h"
#include "common/clock.h"

namespace ecssd::aws {

// Asks each source in order and returns the first credentials found.
class CredentialsChain final : public CredentialsProvider {
 public:
  explicit CredentialsChain(std::vector<std::unique_ptr<CredentialsProvider>> sources);

  // Errors: a source's own error (prefixed with its name) when it is
  // configured but fails, so a broken ECS endpoint or a wrong AWS_PROFILE is
  // reported instead of silently falling through to another identity.
  // kPermissionDenied when no source has credentials: the message names every
  // source and why it had none, and how to provide credentials; transient when
  // a source could not be reached (IMDS timing out), so callers retry.
  common::Task<common::Result<Credentials>> credentials() override;
  void invalidate() override;
  std::string name() const override { return "default credential chain"; }

 private:
  std::vector<std::unique_ptr<CredentialsProvider>> sources_;
};

// Keeps the inner provider's credentials and fetches new ones only when they
// come within `refresh_ahead` of their expiry (long-term keys are kept until
// invalidate()). Concurrent callers during a fetch share that one fetch.
class CachingCredentialsProvider final : public CredentialsProvider {
 public:
  struct Options {
    std::chrono::seconds refresh_ahead{std::chrono::minutes(5)};
    // Fewest seconds between two fetches while the current credentials are
    // still valid (a failing or short-lived source is not asked per request).
    std::chrono::seconds min_refresh_interval{30};
  };

  // `time` must outlive the provider.
  CachingCredentialsProvider(std::unique_ptr<CredentialsProvider> inner, common::TimeSource& time, Options options);
  CachingCredentialsProvider(std::unique_ptr<CredentialsProvider> inner, common::TimeSource& time)
      : CachingCredentialsProvider(std::move(inner), time, Options{}) {}

  // Errors: the inner provider's, when there are no unexpired credentials to
  // fall back on. A failed refresh while the current credentials are still
  // valid is logged and the current ones are returned.
  common::Task<common::Result<Credentials>> credentials() override;
  void invalidate() override;
  std::string name() const override { return inner_->name(); }

  // How many times the inner provider was asked (for tests and metrics).
  uint64_t fetches() const { return fetches_; }

 private:
  bool fresh(common::SystemTime now) const;
  common::Task<common::Result<Credentials>> fetch();

  std::unique_ptr<CredentialsProvider> inner_;
  common::TimeSource& time_;
  Options options_;
  std::optional<Credentials> current_;
  common::SystemTime refresh_at_{};
  SingleFlight<common::Result<Credentials>> flight_;
  uint64_t fetches_ = 0;
};

// The SDKs' standard chain: environment, shared files, container endpoint,
// instance role, wrapped in a CachingCredentialsProvider. `http`, `imds` and
// `time` must outlive the result.
std::unique_ptr<CachingCredentialsProvider> make_default_credentials(const common::Environment& env, HttpClient& http,
                                                                     InstanceMetadata& imds, common::TimeSource& time);

}  // namespace ecssd::aws
