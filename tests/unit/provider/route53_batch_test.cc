// Counting changes against Route 53's request limits, and packing parts into
// as few requests as fit.
#include "provider/route53/change_batch.h"

#include <numeric>

#include <gtest/gtest.h>

namespace ecssd::provider::route53 {
namespace {

Change change(Action a, size_t values, size_t chars_each) {
  Change c;
  c.action = a;
  c.record_set.name = "x.example.com.";
  c.record_set.type = "TXT";
  for (size_t i = 0; i < values; ++i) c.record_set.values.push_back(std::string(chars_each, 'v'));
  return c;
}

size_t total_records(const std::vector<size_t>& request, const std::vector<Cost>& parts) {
  size_t n = 0;
  for (size_t p : request) n += parts[p].records;
  return n;
}

TEST(Route53Batch, CostCountsRecordsAndValueCharactersUpsertTwice) {
  EXPECT_EQ(cost_of(change(Action::kCreate, 3, 10)), (Cost{3, 30}));
  EXPECT_EQ(cost_of(change(Action::kDelete, 1, 7)), (Cost{1, 7}));
  EXPECT_EQ(cost_of(change(Action::kUpsert, 3, 10)), (Cost{6, 60}));
  EXPECT_EQ(cost_of({change(Action::kDelete, 1, 5), change(Action::kCreate, 2, 5)}), (Cost{3, 15}));
}

TEST(Route53Batch, ExactlyAtTheRecordLimitIsOneRequestOneMoreIsTwo) {
  BatchLimits limits;
  std::vector<Cost> at_limit(500, Cost{2, 20});  // 500 records and their companions
  auto one = pack(at_limit, limits);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(total_records(one[0], at_limit), 1000u);

  std::vector<Cost> over = at_limit;
  over.push_back(Cost{1, 10});
  auto two = pack(over, limits);
  ASSERT_EQ(two.size(), 2u);
  for (const auto& r : two) EXPECT_LE(total_records(r, over), 1000u);
}

TEST(Route53Batch, CharacterLimitSplitsBeforeTheRecordLimit) {
  BatchLimits limits;
  // 40 changes of 1000 characters: 40 records but 40000 characters.
  std::vector<Cost> parts(40, Cost{1, 1000});
  auto requests = pack(parts, limits);
  ASSERT_EQ(requests.size(), 2u);
  for (const auto& r : requests) {
    size_t chars = 0;
    for (size_t p : r) chars += parts[p].chars;
    EXPECT_LE(chars, 32000u);
  }
  EXPECT_EQ(requests[0].size() + requests[1].size(), 40u);
}

TEST(Route53Batch, UpsertCountsTwiceAgainstTheLimits) {
  BatchLimits limits;
  // 500 UPSERTs of one value fill a request exactly; 501 do not fit.
  std::vector<Cost> upserts(500, cost_of(change(Action::kUpsert, 1, 10)));
  EXPECT_EQ(pack(upserts, limits).size(), 1u);
  upserts.push_back(cost_of(change(Action::kUpsert, 1, 10)));
  EXPECT_EQ(pack(upserts, limits).size(), 2u);
  // 16000 characters of UPSERT are 32000 against the limit.
  std::vector<Cost> wide = {cost_of(change(Action::kUpsert, 1, 16000)), cost_of(change(Action::kCreate, 1, 1))};
  EXPECT_EQ(pack(wide, limits).size(), 2u);
}

TEST(Route53Batch, PartsAreNeverSplitAndLargestGoFirst) {
  BatchLimits limits{.max_records = 10, .max_value_chars = 1000};
  // Parts of 6, 5, 4, 4, 1 records: first-fit decreasing packs {6,4} {5,4,1}.
  std::vector<Cost> parts = {{4, 4}, {6, 6}, {1, 1}, {5, 5}, {4, 4}};
  auto requests = pack(parts, limits);
  ASSERT_EQ(requests.size(), 2u);
  std::vector<size_t> seen;
  for (const auto& r : requests) {
    EXPECT_LE(total_records(r, parts), 10u);
    seen.insert(seen.end(), r.begin(), r.end());
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<size_t>{0, 1, 2, 3, 4})) << "every part exactly once";
}

TEST(Route53Batch, APartOverTheLimitGetsARequestOfItsOwn) {
  BatchLimits limits{.max_records = 10, .max_value_chars = 1000};
  std::vector<Cost> parts = {{12, 12}, {3, 3}, {3, 3}};
  auto requests = pack(parts, limits);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0], std::vector<size_t>{0});
  EXPECT_EQ(requests[1], (std::vector<size_t>{1, 2}));
}

TEST(Route53Batch, NothingToPackIsNoRequest) { EXPECT_TRUE(pack({}, BatchLimits{}).empty()); }

}  // namespace
}  // namespace ecssd::provider::route53
