#include "aws/credentials_chain.h"

#include "aws/iso8601.h"
#include "common/log.h"

namespace ecssd::aws {

using common::ErrorCode;

CredentialsChain::CredentialsChain(std::vector<std::unique_ptr<CredentialsProvider>> sources)
    : sources_(std::move(sources)) {}

void CredentialsChain::invalidate() {
  for (auto& s : sources_) s->invalidate();
}

common::Task<common::Result<Credentials>> CredentialsChain::credentials() {
  std::string tried;
  bool transient = false;
  for (auto& source : sources_) {
    auto r = co_await source->credentials();
    if (r) co_return r;
    const auto& e = r.error();
    if (e.code != ErrorCode::kNotFound) {
      co_return common::Error{e.code, "AWS credentials from " + source->name() + ": " + e.message, e.transient};
    }
    transient = transient || e.transient;
    tried += "\n  - " + source->name() + ": " + e.message;
  }
  co_return common::Error{
      ErrorCode::kPermissionDenied,
      "no AWS credentials found. Tried, in order:" + tried +
          "\nProvide credentials with one of: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for "
          "temporary keys); a profile in ~/.aws/credentials (choose it with AWS_PROFILE); an ECS task role; or an "
          "EC2 instance role (IMDSv2).",
      transient};
}

CachingCredentialsProvider::CachingCredentialsProvider(std::unique_ptr<CredentialsProvider> inner,
                                                       common::TimeSource& time, Options options)
    : inner_(std::move(inner)), time_(time), options_(options) {}

void CachingCredentialsProvider::invalidate() {
  current_.reset();
  inner_->invalidate();
}

bool CachingCredentialsProvider::fresh(common::SystemTime now) const {
  if (!current_) return false;
  if (!current_->expiration) return true;
  return now < refresh_at_;
}

common::Task<common::Result<Credentials>> CachingCredentialsProvider::credentials() {
  if (fresh(time_.system_now())) co_return *current_;
  co_return co_await flight_.run([this] { return fetch(); });
}

common::Task<common::Result<Credentials>> CachingCredentialsProvider::fetch() {
  auto now = time_.system_now();
  // A waiter may arrive after another fetch finished.
  if (fresh(now)) co_return *current_;
  ++fetches_;
  auto r = co_await inner_->credentials();
  now = time_.system_now();
  if (!r) {
    if (current_ && current_->expiration && now < *current_->expiration) {
      log::warn("AWS credentials refresh failed; using the current ones until they expire",
                {{"source", current_->source},
                 {"expires", format_iso8601(*current_->expiration)},
                 {"error", r.error().describe()}});
      refresh_at_ = std::min(*current_->expiration, now + options_.min_refresh_interval);
      co_return *current_;
    }
    current_.reset();
    co_return r.error();
  }
  Credentials& c = r.value();
  if (c.expiration && *c.expiration <= now) {
    current_.reset();
    co_return common::make_error(ErrorCode::kPermissionDenied,
                                 "AWS credentials from " + c.source + " expired at " + format_iso8601(*c.expiration));
  }
  bool changed = !current_ || current_->source != c.source;
  current_ = c;
  if (c.expiration) {
    // Refresh ahead of expiry, but never more often than min_refresh_interval
    // and never after the credentials stop working.
    refresh_at_ = std::min(*c.expiration,
                           std::max(*c.expiration - options_.refresh_ahead, now + options_.min_refresh_interval));
  }
  if (changed) {
    log::info("AWS credentials loaded", {{"source", c.source},
                                         {"expires", c.expiration ? format_iso8601(*c.expiration) : "never"}});
  } else {
    log::debug("AWS credentials refreshed", {{"source", c.source},
                                             {"expires", c.expiration ? format_iso8601(*c.expiration) : "never"}});
  }
  co_return c;
}

std::unique_ptr<CachingCredentialsProvider> make_default_credentials(const common::Environment& env, HttpClient& http,
                                                                     InstanceMetadata& imds, common::TimeSource& time) {
  std::vector<std::unique_ptr<CredentialsProvider>> sources;
  sources.push_back(std::make_unique<EnvironmentCredentials>(env));
  sources.push_back(std::make_unique<ProfileCredentials>(env));
  sources.push_back(std::make_unique<ContainerCredentials>(env, http));
  sources.push_back(std::make_unique<InstanceProfileCredentials>(imds));
  return std::make_unique<CachingCredentialsProvider>(std::make_unique<CredentialsChain>(std::move(sources)), time);
}

}  // namespace ecssd::aws
