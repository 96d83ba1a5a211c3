#pragma once
// Keeps the last listing of a provider and patches it with every applied change,
// so that an event plans against the cache and a full listing happens only at
// start-up, at each resync, and after a failure left the backend's state
// unknown. (Listing large Route 53 zones is slow and throttled.)
#include <memory>
#include <optional>

#include "provider/provider.h"

namespace ecssd::provider {

class CachedProvider final : public Provider {
 public:
  explicit CachedProvider(std::unique_ptr<Provider> inner);

  const std::string& zone() const override { return inner_->zone(); }
  std::vector<std::string> zones() const override { return inner_->zones(); }
  Capabilities capabilities() const override { return inner_->capabilities(); }
  // Serves the cache when valid, else lists the backend and caches the result.
  common::Task<common::Result<std::vector<model::Record>>> list() override;
  // Applies through the backend, then patches the cache with what was applied.
  // A whole-request error invalidates the cache, but for kThrottled (nothing
  // was applied).
  common::Task<common::Result<ApplyReport>> apply(model::ChangeSet changes) override;
  common::SteadyTime ready_at(common::SteadyTime now) const override { return inner_->ready_at(now); }
  model::Record canonicalize(model::Record r) const override { return inner_->canonicalize(std::move(r)); }

  // The next list() goes to the backend (resync, SIGHUP).
  void invalidate() { cache_.reset(); }
  bool valid() const { return cache_.has_value(); }
  Provider& inner() { return *inner_; }

 private:
  std::unique_ptr<Provider> inner_;
  std::optional<std::vector<model::Record>> cache_;
};

}  // namespace ecssd::provider
