#include "provider/cached_provider.h"

#include <algorithm>

namespace ecssd::provider {

CachedProvider::CachedProvider(std::unique_ptr<Provider> inner) : inner_(std::move(inner)) {}

common::Task<common::Result<std::vector<model::Record>>> CachedProvider::list() {
  if (cache_) co_return *cache_;
  auto listed = co_await inner_->list();
  if (listed.ok()) cache_ = listed.value();
  co_return listed;
}

common::Task<common::Result<ApplyReport>> CachedProvider::apply(model::ChangeSet changes) {
  auto result = co_await inner_->apply(std::move(changes));
  if (!result.ok()) {
    // Throttled: nothing was applied (provider.h), and listing the zone again
    // would spend more of the throttled budget for the same records.
    if (result.error().code != common::ErrorCode::kThrottled) cache_.reset();
    co_return result;
  }
  if (cache_) {
    auto& c = *cache_;
    auto erase = [&](const model::Record& r) {
      std::erase_if(c, [&](const model::Record& x) { return x.key() == r.key(); });
    };
    auto insert = [&](const model::Record& r) {
      model::Record stored = inner_->canonicalize(r);
      stored.labels.clear();
      c.push_back(std::move(stored));
    };
    const auto& applied = result.value().applied;
    for (const auto& r : applied.remove) erase(r);
    for (const auto& u : applied.update) {
      erase(u.old_record);
      insert(u.new_record);
    }
    for (const auto& r : applied.create) {
      erase(r);
      insert(r);
    }
  }
  co_return result;
}

}  // namespace ecssd::provider
