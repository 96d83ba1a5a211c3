#include "common/result.h"

#include <gtest/gtest.h>

namespace ecssd::common {
namespace {

Result<int> half(int x) {
  if (x % 2) return make_error(ErrorCode::kInvalidArgument, "odd");
  return x / 2;
}

TEST(Result, CarriesValueOrError) {
  auto a = half(4);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, 2);
  auto b = half(3);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().describe(), "invalid argument: odd");
  EXPECT_FALSE(b.error().transient);
  Status s = transient_error(ErrorCode::kTimeout, "slow");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.error().transient);
}

}  // namespace
}  // namespace ecssd::common
