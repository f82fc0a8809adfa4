#include "kube/token_bucket.h"

#include <gtest/gtest.h>

namespace kcau::kube {
namespace {

using std::chrono::milliseconds;

TEST(TokenBucketTest, BurstThenQps) {
  FakeClock clock(WallClock::from_time_t(1800000000));
  TokenBucket bucket(/*qps=*/10, /*burst=*/3, clock);
  EXPECT_EQ(bucket.Reserve(), milliseconds(0));
  EXPECT_EQ(bucket.Reserve(), milliseconds(0));
  EXPECT_EQ(bucket.Reserve(), milliseconds(0));
  EXPECT_EQ(bucket.Reserve(), milliseconds(100)) << "the 4th waits one refill";
  EXPECT_EQ(bucket.Reserve(), milliseconds(200)) << "and the 5th queues behind it";
  clock.Advance(milliseconds(1000));  // refills to the burst, not beyond
  for (int i = 0; i < 3; ++i) EXPECT_EQ(bucket.Reserve(), milliseconds(0));
  EXPECT_GT(bucket.Reserve(), milliseconds(0));
}

TEST(TokenBucketTest, ZeroQpsDisablesThrottling) {
  FakeClock clock(WallClock::from_time_t(1800000000));
  TokenBucket bucket(0, 1, clock);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(bucket.Reserve(), milliseconds(0));
}

}  // namespace
}  // namespace kcau::kube
