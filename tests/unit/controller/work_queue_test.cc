#include "controller/work_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace kcau::controller {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint kStart = WallClock::from_time_t(1800000000);

TEST(WorkQueueTest, DeduplicatesKeysWaitingToBeProcessed) {
  FakeClock clock(kStart);
  WorkQueue q(clock);
  q.Add("a");
  q.Add("a");
  q.Add("b");
  EXPECT_EQ(q.Len(), 2u);
  EXPECT_EQ(q.Get(milliseconds(0)), "a");
  EXPECT_EQ(q.Get(milliseconds(0)), "b");
  EXPECT_EQ(q.Get(milliseconds(0)), std::nullopt);
}

TEST(WorkQueueTest, KeyBeingProcessedIsNotHandedOutTwiceButNotLost) {
  FakeClock clock(kStart);
  WorkQueue q(clock);
  q.Add("run");
  ASSERT_EQ(q.Get(milliseconds(0)), "run");
  q.Add("run");  // changed while being reconciled
  EXPECT_EQ(q.Get(milliseconds(0)), std::nullopt) << "handed out while still processing";
  q.Done("run");
  EXPECT_EQ(q.Get(milliseconds(0)), "run") << "the change during processing was lost";
  q.Done("run");
  EXPECT_EQ(q.Get(milliseconds(0)), std::nullopt);
}

TEST(WorkQueueTest, AddAfterWaitsForTheInjectedClock) {
  FakeClock clock(kStart);
  WorkQueue q(clock);
  q.AddAfter("run", seconds(30));
  EXPECT_EQ(q.Get(milliseconds(0)), std::nullopt);
  clock.Advance(seconds(29));
  EXPECT_EQ(q.Get(milliseconds(0)), std::nullopt);
  clock.Advance(seconds(1));
  EXPECT_EQ(q.Get(milliseconds(0)), "run");
}

// A step of the wall clock is no passing of time: a timer neither fires early on a step
// forward nor stalls on a step back.
TEST(WorkQueueTest, AddAfterIgnoresWallClockSteps) {
  FakeClock clock(kStart);
  WorkQueue q(clock);
  q.AddAfter("run", seconds(30));
  clock.Step(std::chrono::hours(2));
  EXPECT_EQ(q.Get(milliseconds(0)), std::nullopt) << "fired by a step forward";
  clock.Step(-std::chrono::hours(3));
  clock.Advance(seconds(30));
  EXPECT_EQ(q.Get(milliseconds(0)), "run") << "stalled by a step back";
}

TEST(WorkQueueTest, EarliestTimerPerKeyWins) {
  FakeClock clock(kStart);
  WorkQueue q(clock);
  q.AddAfter("run", seconds(60));
  q.AddAfter("run", seconds(5));
  q.AddAfter("run", seconds(30));
  EXPECT_EQ(q.Len(), 1u);
  clock.Advance(seconds(5));
  EXPECT_EQ(q.Get(milliseconds(0)), "run");
}

// Pacing: after a pass that took d, the key rests d * rest_per_work before its next pass,
// whether it was added during the pass or after it; other keys and a key's first pass after
// a quiet spell do not wait.
TEST(WorkQueueTest, AKeyRestsInProportionToItsLastPass) {
  FakeClock clock(kStart);
  WorkQueue q(clock, {}, std::nullopt, Pacing{1.0});
  q.Add("big");
  ASSERT_EQ(q.Get(milliseconds(0)), "big");
  clock.Advance(milliseconds(200));  // a 200 ms pass
  q.Add("big");                      // changed while it ran
  q.Add("small");
  q.Done("big");
  EXPECT_EQ(q.Len(), 2u) << "the resting key is still counted";
  EXPECT_EQ(q.Get(milliseconds(0)), "small") << "another key waits for no rest";
  q.Done("small");
  EXPECT_EQ(q.Get(milliseconds(0)), std::nullopt) << "handed out before its rest ended";
  clock.Advance(milliseconds(199));
  EXPECT_EQ(q.Get(milliseconds(0)), std::nullopt);
  clock.Advance(milliseconds(1));
  ASSERT_EQ(q.Get(milliseconds(0)), "big");

  clock.Advance(milliseconds(100));  // a 100 ms pass, nothing new meanwhile
  q.Done("big");
  clock.Advance(milliseconds(40));
  q.Add("big");  // added during the rest: it waits for the rest's end, once
  q.Add("big");
  EXPECT_EQ(q.Get(milliseconds(0)), std::nullopt);
  clock.Advance(milliseconds(60));
  ASSERT_EQ(q.Get(milliseconds(0)), "big");
  EXPECT_EQ(q.Get(milliseconds(0)), std::nullopt) << "handed out twice";

  clock.Advance(milliseconds(50));
  q.Done("big");
  clock.Advance(seconds(10));  // a quiet spell longer than the rest
  q.Add("big");
  EXPECT_EQ(q.Get(milliseconds(0)), "big") << "the first pass after a quiet spell waited";
}

TEST(WorkQueueTest, WithoutPacingAKeyIsHandedOutAgainAtOnce) {
  FakeClock clock(kStart);
  WorkQueue q(clock);
  q.Add("run");
  ASSERT_EQ(q.Get(milliseconds(0)), "run");
  clock.Advance(seconds(5));
  q.Add("run");
  q.Done("run");
  EXPECT_EQ(q.Get(milliseconds(0)), "run");
}

// A worker blocked on an empty queue wakes by itself when a rest is due to end.
TEST(WorkQueueTest, ABlockedWorkerWakesWhenARestEnds) {
  FakeClock clock(kStart);
  WorkQueue q(clock, {}, std::nullopt, Pacing{1.0});
  q.Add("run");
  ASSERT_EQ(q.Get(milliseconds(0)), "run");
  clock.Advance(milliseconds(100));
  q.Add("run");
  q.Done("run");
  std::optional<std::string> got;
  std::thread worker([&] { got = q.Get(seconds(5)); });
  clock.Advance(milliseconds(100));  // the rest is over when the worker's wait is
  worker.join();
  EXPECT_EQ(got, "run");
}

TEST(WorkQueueTest, RateLimitedBackoffDoublesUpToCapAndForgetResets) {
  FakeClock clock(kStart);
  WorkQueue q(clock, BackoffPolicy{milliseconds(100), milliseconds(1000)});
  const std::vector<milliseconds> want = {milliseconds(100),  milliseconds(200),
                                          milliseconds(400),  milliseconds(800),
                                          milliseconds(1000), milliseconds(1000)};
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE("failure " + std::to_string(i));
    q.AddRateLimited("run");
    clock.Advance(want[i] - milliseconds(1));
    EXPECT_EQ(q.Get(milliseconds(0)), std::nullopt);
    clock.Advance(milliseconds(1));
    ASSERT_EQ(q.Get(milliseconds(0)), "run");
    q.Done("run");
  }
  EXPECT_EQ(q.Failures("run"), 6);
  q.Forget("run");
  EXPECT_EQ(q.Failures("run"), 0);
  q.AddRateLimited("run");
  clock.Advance(milliseconds(100));
  EXPECT_EQ(q.Get(milliseconds(0)), "run");
}

TEST(WorkQueueTest, ShutDownWakesABlockedWorker) {
  FakeClock clock(kStart);
  WorkQueue q(clock);
  std::optional<std::string> got = "unset";
  std::thread worker([&] { got = q.Get(seconds(60)); });
  std::this_thread::sleep_for(milliseconds(20));
  q.ShutDown();
  worker.join();
  EXPECT_EQ(got, std::nullopt);
  q.Add("late");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, AddWakesABlockedWorker) {
  FakeClock clock(kStart);
  WorkQueue q(clock);
  std::optional<std::string> got;
  std::thread worker([&] { got = q.Get(seconds(60)); });
  std::this_thread::sleep_for(milliseconds(20));
  q.Add("run");
  worker.join();
  EXPECT_EQ(got, "run");
}

}  // namespace
}  // namespace kcau::controller
