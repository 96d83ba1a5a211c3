#include "provider/zone_split_provider.h"

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

struct TwoZones {
  TwoZones() {
    std::vector<std::unique_ptr<Provider>> zones;
    zones.push_back(std::make_unique<InMemoryProvider>("example"));
    zones.push_back(std::make_unique<InMemoryProvider>("b.example"));
    outer = static_cast<InMemoryProvider*>(zones[0].get());
    inner = static_cast<InMemoryProvider*>(zones[1].get());
    split = std::make_unique<ZoneSplitProvider>(std::move(zones));
  }
  InMemoryProvider* outer;
  InMemoryProvider* inner;
  std::unique_ptr<ZoneSplitProvider> split;
};

TEST(ZoneSplitProvider, EachRecordGoesToTheLongestMatchingZone) {
  boost::asio::io_context io;
  TwoZones z;
  EXPECT_EQ(z.split->zone(), "example");
  EXPECT_EQ(z.split->zones(), (std::vector<std::string>{"example", "b.example"}));
  model::ChangeSet cs;
  cs.create = {a_record("a.b.example", "10.0.0.1"), a_record("web.example", "10.0.0.2"),
               a_record("web.elsewhere", "10.0.0.3")};
  auto done = run_sync(io, z.split->apply(cs));
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->applied.create.size(), 2u);
  ASSERT_EQ(done->failed.size(), 1u);
  EXPECT_EQ(done->failed[0].change.create.at(0).name, "web.elsewhere");
  EXPECT_EQ(done->failed[0].error.code, common::ErrorCode::kInvalidArgument);
  EXPECT_EQ(done->requests, 2u);
  ASSERT_EQ(z.inner->records().size(), 1u);
  EXPECT_EQ(z.inner->records()[0].name, "a.b.example");
  ASSERT_EQ(z.outer->records().size(), 1u);
  EXPECT_EQ(z.outer->records()[0].name, "web.example");

  auto listed = run_sync(io, z.split->list());
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2u);

  model::ChangeSet gone;
  gone.remove = {a_record("a.b.example", "10.0.0.1")};
  ASSERT_TRUE(run_sync(io, z.split->apply(gone)).ok());
  EXPECT_TRUE(z.inner->records().empty());
  EXPECT_EQ(z.outer->apply_calls(), 1u);  // a zone without changes is not asked
}

TEST(ZoneSplitProvider, AListingIsNeverPartial) {
  boost::asio::io_context io;
  TwoZones z;
  z.inner->fail_next(common::Error{common::ErrorCode::kUnavailable, "down", true});
  auto listed = run_sync(io, z.split->list());
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.error().code, common::ErrorCode::kUnavailable);
}

TEST(ZoneSplitProvider, OneZoneDownFailsOnlyItsChanges) {
  boost::asio::io_context io;
  TwoZones z;
  z.inner->fail_next(common::Error{common::ErrorCode::kUnavailable, "down", true});
  model::ChangeSet cs;
  cs.create = {a_record("a.b.example", "10.0.0.1"), a_record("web.example", "10.0.0.2")};
  auto done = run_sync(io, z.split->apply(cs));
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->applied.create.size(), 1u);
  ASSERT_EQ(done->failed.size(), 1u);
  EXPECT_EQ(done->failed[0].error.code, common::ErrorCode::kUnavailable);

  // Every zone asked down: the whole request failed.
  z.outer->fail_next(common::Error{common::ErrorCode::kUnavailable, "down", true});
  model::ChangeSet again;
  again.create = {a_record("db.example", "10.0.0.4")};
  auto failed = run_sync(io, z.split->apply(again));
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(failed.error().transient);
}

// kThrottled promises that nothing was applied: only when every zone says so.
TEST(ZoneSplitProvider, ThrottledOnlyWhenEveryZoneWasThrottled) {
  boost::asio::io_context io;
  TwoZones z;
  model::ChangeSet both;
  both.create = {a_record("a.b.example", "10.0.0.1"), a_record("web.example", "10.0.0.2")};
  z.outer->fail_next(common::transient_error(common::ErrorCode::kThrottled, "Throttling"));
  z.inner->fail_next(common::transient_error(common::ErrorCode::kUnavailable, "lost answer"));
  auto mixed = run_sync(io, z.split->apply(both));
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.error().code, common::ErrorCode::kUnavailable);

  z.outer->fail_next(common::transient_error(common::ErrorCode::kThrottled, "Throttling"));
  z.inner->fail_next(common::transient_error(common::ErrorCode::kThrottled, "Throttling"));
  auto throttled = run_sync(io, z.split->apply(both));
  ASSERT_FALSE(throttled.ok());
  EXPECT_EQ(throttled.error().code, common::ErrorCode::kThrottled);
}

}  // namespace
}  // namespace ecssd::provider
