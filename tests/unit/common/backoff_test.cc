#include "common/backoff.h"

#include <gtest/gtest.h>

namespace ecssd::common {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, CeilingDoublesUpToTheCap) {
  Backoff b(milliseconds(100), milliseconds(1000), milliseconds(0), 42);
  EXPECT_EQ(b.ceiling(), milliseconds(100));
  (void)b.next();
  EXPECT_EQ(b.ceiling(), milliseconds(200));
  (void)b.next();
  EXPECT_EQ(b.ceiling(), milliseconds(400));
  for (int i = 0; i < 100; ++i) (void)b.next();
  EXPECT_EQ(b.ceiling(), milliseconds(1000));
  b.reset();
  EXPECT_EQ(b.ceiling(), milliseconds(100));
}

TEST(Backoff, DelaysAreJitteredWithinCeilingAndAboveFloor) {
  Backoff b(milliseconds(100), milliseconds(5000), milliseconds(10), 7);
  bool varied = false;
  milliseconds prev{-1};
  for (int i = 0; i < 50; ++i) {
    milliseconds top = b.ceiling();
    milliseconds d = b.next();
    EXPECT_LE(d, top);
    EXPECT_GE(d, milliseconds(10));
    if (prev.count() >= 0 && d != prev) varied = true;
    prev = d;
  }
  EXPECT_TRUE(varied);
}

}  // namespace
}  // namespace ecssd::common
