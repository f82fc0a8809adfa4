// LowerThisThreadsPriority: the calling thread's nice value goes up, and only that thread's.
#include "common/thread_priority.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

namespace kcau {
namespace {

TEST(ThreadPriorityTest, LowersTheCallingThreadOnly) {
  const int before = ThisThreadsNice();
  int inside_before = 0;
  int inside_after = 0;
  bool lowered = false;
  std::thread t([&] {
    inside_before = ThisThreadsNice();
    lowered = LowerThisThreadsPriority(kBulkWorkNiceIncrement);
    inside_after = ThisThreadsNice();
  });
  t.join();
  EXPECT_TRUE(lowered);
  EXPECT_EQ(inside_before, before);  // a new thread starts at its creator's
  // Linux caps nice values at 19.
  EXPECT_EQ(inside_after, std::min(19, before + kBulkWorkNiceIncrement));
  EXPECT_EQ(ThisThreadsNice(), before);
}

}  // namespace
}  // namespace kcau
