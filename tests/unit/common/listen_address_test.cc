#include "common/listen_address.h"

#include <gtest/gtest.h>

namespace ecssd::common {
namespace {

TEST(ParseListenTest, AcceptsAddressesAndRejectsTheRest) {
  auto v4 = parse_listen("127.0.0.1:8053");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->address, "127.0.0.1");
  EXPECT_EQ(v4->port, 8053);
  auto v6 = parse_listen("[::1]:53");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->address, "::1");
  EXPECT_EQ(v6->port, 53);
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "localhost:53", "::1:53", "[::1]53",
                          "127.0.0.1:5x", ""}) {
    auto r = parse_listen(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, common::ErrorCode::kInvalidArgument);
    }
  }
}

}  // namespace
}  // namespace ecssd::common
