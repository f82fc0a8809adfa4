// BoundedExecutor: every job runs, never more than the bound at once, and RunAll returns only
// once its jobs have ended, also with two callers sharing the pool.
#include "reconcilers/bounded_executor.h"

#include "common/thread_name.h"
#include "common/thread_priority.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

namespace kcau::reconcilers {
namespace {

// Jobs that record how many run at once; each waits a moment so that they overlap.
struct Overlap {
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  std::atomic<int> done{0};
  std::function<void()> Job() {
    return [this] {
      const int now = ++running;
      for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
      }
      // Not a timing assertion: only gives the other threads a chance to overlap.
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      --running;
      ++done;
    };
  }
};

TEST(BoundedExecutorTest, RunsEveryJobAtMostTheBoundAtOnce) {
  for (int bound : {1, 2, 4}) {
    SCOPED_TRACE(bound);
    BoundedExecutor executor("test-pool", bound);
    Overlap overlap;
    std::vector<std::function<void()>> jobs;
    for (int i = 0; i < 20; ++i) jobs.push_back(overlap.Job());
    executor.RunAll(std::move(jobs));
    EXPECT_EQ(overlap.done, 20);  // all ended before RunAll returned
    EXPECT_LE(overlap.most, bound);
    if (bound > 1) {
      EXPECT_GT(overlap.most, 1);  // side by side, not one after another
    }
  }
}

TEST(BoundedExecutorTest, TwoCallersShareThePool) {
  BoundedExecutor executor("test-pool", 3);
  Overlap a, b;
  auto batch = [](Overlap& o) {
    std::vector<std::function<void()>> jobs;
    for (int i = 0; i < 10; ++i) jobs.push_back(o.Job());
    return jobs;
  };
  std::thread other([&] { executor.RunAll(batch(b)); });
  executor.RunAll(batch(a));
  EXPECT_EQ(a.done, 10);
  other.join();
  EXPECT_EQ(b.done, 10);
}

TEST(BoundedExecutorTest, SubmittedJobsRunOnThePoolWithinTheBound) {
  Overlap overlap;
  {
    BoundedExecutor executor("drains", 3);  // two pool threads: Submit does not use the caller's
    const auto caller = std::this_thread::get_id();
    std::atomic<bool> on_caller{false};
    std::atomic<bool> misnamed{false};  // top -H names the pool's threads after it
    for (int i = 0; i < 20; ++i) {
      executor.Submit([&, job = overlap.Job()] {
        if (std::this_thread::get_id() == caller) on_caller = true;
        if (ThisThreadName() != "drains") misnamed = true;
        job();
      });
    }
    for (int i = 0; i < 10000 && overlap.done < 20; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_FALSE(on_caller);
    EXPECT_FALSE(misnamed);
  }
  EXPECT_EQ(overlap.done, 20);
  EXPECT_LE(overlap.most, 2);
}

// The nice value a Submit'ted job's thread runs at.
int NiceOfAPoolThread(BoundedExecutor::Priority priority) {
  BoundedExecutor executor("drains", 2, priority);
  std::promise<int> nice;
  executor.Submit([&] { nice.set_value(ThisThreadsNice()); });
  return nice.get_future().get();
}

TEST(BoundedExecutorTest, ABulkPoolRunsBelowTheRestOfTheProcess) {
  const int process = ThisThreadsNice();
  EXPECT_EQ(NiceOfAPoolThread(BoundedExecutor::Priority::kNormal), process);
  EXPECT_EQ(NiceOfAPoolThread(BoundedExecutor::Priority::kBulk),
            std::min(19, process + kBulkWorkNiceIncrement));  // Linux caps nice values at 19
}

}  // namespace
}  // namespace kcau::reconcilers
