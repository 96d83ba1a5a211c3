#include "common/open_files.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include <gtest/gtest.h>

namespace ecssd::common {
namespace {

// Restores the process's limit when a test is done.
class OpenFilesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved_), 0); }
  void TearDown() override { setrlimit(RLIMIT_NOFILE, &saved_); }
  rlimit saved_{};
};

TEST_F(OpenFilesTest, RaisesTheSoftLimitToTheHardOne) {
  if (saved_.rlim_max != RLIM_INFINITY && saved_.rlim_max < 300) GTEST_SKIP() << "hard limit under 300";
  rlimit low = saved_;
  low.rlim_cur = 256;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  EXPECT_EQ(open_file_limit(), 256u);
  size_t hard = saved_.rlim_max == RLIM_INFINITY ? 65536 : std::min<size_t>(saved_.rlim_max, 65536);
  EXPECT_EQ(raise_open_file_limit(), hard);
  EXPECT_EQ(open_file_limit(), hard);
}

TEST_F(OpenFilesTest, RaisesNoFurtherThanTheCapAndNeverLowers) {
  if (saved_.rlim_max != RLIM_INFINITY && saved_.rlim_max < 300) GTEST_SKIP() << "hard limit under 300";
  rlimit low = saved_;
  low.rlim_cur = 256;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  EXPECT_EQ(raise_open_file_limit(300), 300u);
  EXPECT_EQ(raise_open_file_limit(100), 300u);  // already above the cap: kept
}

TEST_F(OpenFilesTest, AtTheHardLimitNothingChanges) {
  // Lowering the hard limit is for good in this process: do it in a child.
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    rlimit fixed{.rlim_cur = 128, .rlim_max = 128};
    if (setrlimit(RLIMIT_NOFILE, &fixed) != 0) _exit(2);
    _exit(raise_open_file_limit() == 128 && open_file_limit() == 128 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace ecssd::common
