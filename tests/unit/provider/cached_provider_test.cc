#include "provider/cached_provider.h"

#include <gtest/gtest.h>

#include "fakes/run_sync.h"
#include "provider/inmemory/inmemory_provider.h"

namespace ecssd::provider {
namespace {

using testing::run_sync;

model::Record a_record(std::string name, std::string ip) {
  model::Record r;
  r.name = std::move(name);
  r.type = model::RecordType::kA;
  r.ttl = 10;
  r.values = {std::move(ip)};
  return r;
}

TEST(CachedProvider, ListsOnceThenPatchesTheCacheWithAppliedChanges) {
  boost::asio::io_context io;
  auto inner = std::make_unique<InMemoryProvider>("z");
  InMemoryProvider* mem = inner.get();
  mem->seed({a_record("old.z", "1.1.1.1")});
  CachedProvider cached(std::move(inner));

  auto first = run_sync(io, cached.list());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->size(), 1u);
  auto r = run_sync(io, cached.apply(model::ChangeSet{.create = {a_record("new.z", "2.2.2.2")},
                                                       .remove = {a_record("old.z", "1.1.1.1")}}));
  ASSERT_TRUE(r.ok());
  auto second = run_sync(io, cached.list());
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].name, "new.z");
  EXPECT_EQ(mem->list_calls(), 1u);

  cached.invalidate();
  (void)run_sync(io, cached.list());
  EXPECT_EQ(mem->list_calls(), 2u);
}

TEST(CachedProvider, AFailedApplyInvalidatesTheCache) {
  boost::asio::io_context io;
  auto inner = std::make_unique<InMemoryProvider>("z");
  InMemoryProvider* mem = inner.get();
  CachedProvider cached(std::move(inner));
  (void)run_sync(io, cached.list());
  mem->fail_next(common::transient_error(common::ErrorCode::kTimeout, "slow"));
  auto r = run_sync(io, cached.apply(model::ChangeSet{.create = {a_record("x.z", "1.1.1.1")}}));
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(cached.valid());
}

// Throttled means nothing was applied (provider.h): the listing stays good,
// and listing again would only spend more of the throttled budget.
TEST(CachedProvider, AThrottledApplyKeepsTheCache) {
  boost::asio::io_context io;
  auto inner = std::make_unique<InMemoryProvider>("z");
  InMemoryProvider* mem = inner.get();
  mem->seed({a_record("old.z", "1.1.1.1")});
  CachedProvider cached(std::move(inner));
  (void)run_sync(io, cached.list());
  mem->fail_next(common::transient_error(common::ErrorCode::kThrottled, "Throttling: Rate exceeded"));
  auto r = run_sync(io, cached.apply(model::ChangeSet{.create = {a_record("x.z", "1.1.1.1")}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, common::ErrorCode::kThrottled);
  EXPECT_TRUE(cached.valid());
  auto listed = run_sync(io, cached.list());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].name, "old.z");
  EXPECT_EQ(mem->list_calls(), 1u);
}

TEST(CachedProvider, RefusedChangesAreNotCached) {
  boost::asio::io_context io;
  auto inner = std::make_unique<InMemoryProvider>("z");
  inner->refuse_name("bad.z");
  CachedProvider cached(std::move(inner));
  (void)run_sync(io, cached.list());
  auto r = run_sync(io, cached.apply(model::ChangeSet{.create = {a_record("bad.z", "1.1.1.1"), a_record("ok.z", "1.1.1.2")}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->failed.size(), 1u);
  auto listed = run_sync(io, cached.list());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].name, "ok.z");
}

}  // namespace
}  // namespace ecssd::provider
