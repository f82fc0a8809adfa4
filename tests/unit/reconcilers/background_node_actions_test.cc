// BackgroundNodeActions: a node's job runs on a pool while its starter goes on; one job per
// node of a run at a time; drains do not hold quick writes, nor writes uncordons; what ended
// jobs did (and the first failure) is taken once.
#include "reconcilers/background_node_actions.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace kcau::reconcilers {
namespace {

// Waits (bounded) until `ended` drains have ended.
class EndCounter {
 public:
  BackgroundNodeActions::Ended Callback() {
    return [this](const ActionOutcome&, const Status&) {
      std::lock_guard<std::mutex> lock(mu_);
      ++ended_;
      cv_.notify_all();
    };
  }
  bool WaitFor(int ended) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return ended_ >= ended; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int ended_ = 0;
};

TEST(BackgroundNodeActionsTest, StartReturnsWhileTheDrainRunsAndANodeDrainsOnceAtATime) {
  BackgroundNodeActions drains(2, 2, 1);
  EndCounter counter;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ASSERT_TRUE(drains.Start(
      "run", "n1", BackgroundNodeActions::Lane::kDrain,
      [released](ActionOutcome& outcome) {
        released.wait();  // holds the drain until the test lets it go
        outcome.pods_evicted = 3;
        return Status();
      },
      counter.Callback()));
  EXPECT_TRUE(drains.Running("run", "n1"));
  EXPECT_FALSE(drains.Start(
      "run", "n1", BackgroundNodeActions::Lane::kDrain, [](ActionOutcome&) { return Status(); },
      counter.Callback()))
      << "n1's drain is still running: not started twice";
  EXPECT_FALSE(drains.Running("other", "n1"));
  EXPECT_EQ(drains.RunningNodes("run"), std::set<std::string>{"n1"});
  EXPECT_EQ(drains.RunningNodes("other"), std::set<std::string>{});
  EXPECT_EQ(drains.Take("run").outcome.pods_evicted, 0) << "nothing has ended yet";

  release.set_value();
  ASSERT_TRUE(counter.WaitFor(1));
  EXPECT_FALSE(drains.Running("run", "n1"));
  EXPECT_EQ(drains.RunningNodes("run"), std::set<std::string>{});
  BackgroundNodeActions::Finished finished = drains.Take("run");
  EXPECT_EQ(finished.outcome.pods_evicted, 3);
  EXPECT_FALSE(finished.failure.has_value());
  EXPECT_EQ(drains.Take("run").outcome.pods_evicted, 0) << "taken once";
}

TEST(BackgroundNodeActionsTest, OutcomesAddUpAndTheFirstFailureIsKept) {
  BackgroundNodeActions drains(1, 1, 1);  // one drain at a time: n1 ends before n2
  EndCounter counter;
  ASSERT_TRUE(drains.Start(
      "run", "n1", BackgroundNodeActions::Lane::kDrain,
      [](ActionOutcome& outcome) {
        outcome.pods_evicted = 2;
        outcome.eviction_refusals["n1"] = {"default/web-1 (web)"};
        return Status(UnavailableError("connection reset"));
      },
      counter.Callback()));
  ASSERT_TRUE(drains.Start(
      "run", "n2", BackgroundNodeActions::Lane::kDrain,
      [](ActionOutcome& outcome) {
        outcome.pods_evicted = 5;
        return Status(InternalError("later failure"));
      },
      counter.Callback()));
  ASSERT_TRUE(counter.WaitFor(2));
  BackgroundNodeActions::Finished finished = drains.Take("run");
  EXPECT_EQ(finished.outcome.pods_evicted, 7);
  EXPECT_EQ(finished.outcome.eviction_refusals.at("n1").size(), 1u);
  ASSERT_TRUE(finished.failure.has_value());
  EXPECT_NE(finished.failure->find("node n1: "), std::string::npos) << *finished.failure;
  EXPECT_NE(finished.failure->find("connection reset"), std::string::npos) << *finished.failure;
}

TEST(BackgroundNodeActionsTest, ForgottenRunKeepsNothing) {
  BackgroundNodeActions drains(1, 1, 1);
  EndCounter counter;
  ASSERT_TRUE(drains.Start(
      "run", "n1", BackgroundNodeActions::Lane::kDrain,
      [](ActionOutcome& outcome) {
        outcome.pods_evicted = 1;
        return Status();
      },
      counter.Callback()));
  ASSERT_TRUE(counter.WaitFor(1));
  drains.Forget("run");
  EXPECT_EQ(drains.Take("run").outcome.pods_evicted, 0);
}

// A job in stages: its first (a cordon) runs on the quick lane while every drain thread is
// busy; its second (the drain) then waits for one; the node counts as running throughout,
// and the job's outcome is both stages'. A stage that fails ends the job.
TEST(BackgroundNodeActionsTest, AStagedJobsCordonDoesNotWaitBehindDrains) {
  using Lane = BackgroundNodeActions::Lane;
  BackgroundNodeActions actions(1, 1, 1);
  EndCounter counter;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ASSERT_TRUE(actions.Start(
      "run", "n1", Lane::kDrain,
      [released](ActionOutcome&) {
        released.wait();
        return Status();
      },
      counter.Callback()));
  std::promise<void> cordoned;
  std::future<void> cordon_made = cordoned.get_future();
  std::vector<BackgroundNodeActions::Stage> stages;
  stages.push_back({Lane::kQuick, [&cordoned](ActionOutcome& outcome) {
                      outcome.pods_failed_back = 1;
                      cordoned.set_value();
                      return Status();
                    }});
  stages.push_back({Lane::kDrain, [](ActionOutcome& outcome) {
                      outcome.pods_evicted = 2;
                      return Status();
                    }});
  ASSERT_TRUE(actions.Start("run", "n2", std::move(stages), counter.Callback()));
  ASSERT_EQ(cordon_made.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "the cordon waited behind another node's drain";
  EXPECT_TRUE(actions.Running("run", "n2")) << "its drain is still to come";
  release.set_value();
  ASSERT_TRUE(counter.WaitFor(2));
  EXPECT_FALSE(actions.Running("run", "n2"));
  BackgroundNodeActions::Finished finished = actions.Take("run");
  EXPECT_EQ(finished.outcome.pods_failed_back, 1);
  EXPECT_EQ(finished.outcome.pods_evicted, 2);

  std::atomic<bool> drained{false};
  std::vector<BackgroundNodeActions::Stage> failing;
  failing.push_back(
      {Lane::kQuick, [](ActionOutcome&) { return UnavailableError("connection reset"); }});
  failing.push_back({Lane::kDrain, [&drained](ActionOutcome&) {
                       drained = true;
                       return Status();
                     }});
  ASSERT_TRUE(actions.Start("run", "n3", std::move(failing), counter.Callback()));
  ASSERT_TRUE(counter.WaitFor(3));
  EXPECT_FALSE(drained) << "drained after its cordon failed";
  std::vector<BackgroundNodeActions::Stage> backwards;
  backwards.push_back({Lane::kDrain, [](ActionOutcome&) { return Status(); }});
  backwards.push_back({Lane::kQuick, [](ActionOutcome&) { return Status(); }});
  EXPECT_THROW(actions.Start("run", "n4", std::move(backwards), counter.Callback()),
               std::invalid_argument)
      << "a drain stage queuing a quick one could outlive the quick pool";
  EXPECT_FALSE(actions.Running("run", "n4"));
  finished = actions.Take("run");
  ASSERT_TRUE(finished.failure.has_value());
  EXPECT_EQ(finished.failure->rfind("node n3: ", 0), 0u) << *finished.failure;
}

// A pool full of `full` jobs (a wave of them, held until released) does not hold a job of
// another node on the `other` lane.
void ExpectNotHeldBehind(BackgroundNodeActions::Lane full, BackgroundNodeActions::Lane other) {
  BackgroundNodeActions actions(1, 1, 1);
  EndCounter counter;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  for (const char* node : {"n1", "n2", "n3"}) {
    ASSERT_TRUE(actions.Start(
        "run", node, full,
        [released](ActionOutcome&) {
          released.wait();
          return Status();
        },
        counter.Callback()));
  }
  ASSERT_TRUE(actions.Start(
      "run", "n4", other,
      [](ActionOutcome& outcome) {
        outcome.pods_failed_back = 1;  // marks this job's outcome
        return Status();
      },
      counter.Callback()));
  ASSERT_TRUE(counter.WaitFor(1)) << "n4's job waited for the others";
  EXPECT_EQ(actions.Take("run").outcome.pods_failed_back, 1);
  EXPECT_TRUE(actions.Running("run", "n1"));
  release.set_value();
  ASSERT_TRUE(counter.WaitFor(4));
}

TEST(BackgroundNodeActionsTest, QuickWritesDoNotWaitBehindDrains) {
  ExpectNotHeldBehind(BackgroundNodeActions::Lane::kDrain, BackgroundNodeActions::Lane::kQuick);
}

// A wave of nodes being taken fills the quick pool; a node going back into service is
// uncordoned at once all the same.
TEST(BackgroundNodeActionsTest, UncordonsDoNotWaitBehindAWaveOfWrites) {
  ExpectNotHeldBehind(BackgroundNodeActions::Lane::kQuick, BackgroundNodeActions::Lane::kReturning);
}

}  // namespace
}  // namespace kcau::reconcilers

namespace kcau::reconcilers {
namespace {

// A drain's evictions step aside while a backlog of uncordons is under way (the API server
// serves requests in the order they come), and never for longer than they are told. With one
// thread for uncordons, one under way is a backlog.
TEST(BackgroundNodeActionsTest, EvictionsYieldToUncordonsUnderWay) {
  BackgroundNodeActions actions(1, 1, 1);
  actions.YieldToReturns(std::chrono::seconds(10));  // none under way: returns at once

  EndCounter counter;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ASSERT_TRUE(actions.Start(
      "run", "n1", BackgroundNodeActions::Lane::kReturning,
      [released](ActionOutcome&) {
        released.wait();
        return Status();
      },
      counter.Callback()));
  const auto before = std::chrono::steady_clock::now();
  actions.YieldToReturns(std::chrono::milliseconds(100));  // bounded
  EXPECT_GE(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(100));

  std::promise<void> yielded;
  std::future<void> done = yielded.get_future();
  std::thread eviction([&] {
    actions.YieldToReturns(std::chrono::seconds(10));
    yielded.set_value();
  });
  EXPECT_EQ(done.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout)
      << "evicted while an uncordon was under way";
  release.set_value();
  EXPECT_EQ(done.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "still waiting after the uncordon ended";
  eviction.join();
  ASSERT_TRUE(counter.WaitFor(1));
}

}  // namespace
}  // namespace kcau::reconcilers
