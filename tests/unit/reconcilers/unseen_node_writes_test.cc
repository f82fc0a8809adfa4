#include "reconcilers/unseen_node_writes.h"

#include <gtest/gtest.h>

namespace kcau::reconcilers {
namespace {

const NodeAction kCordonN1{ActionType::kCordon, "n1", "run/uid"};

// The node as a cache shows it: at `version`, cordoned by `cordoned_by` or not.
NodeView Cached(const std::string& version, bool unschedulable, const std::string& cordoned_by) {
  NodeView v;
  v.name = "n1";
  v.resource_version = version;
  v.unschedulable = unschedulable;
  v.cordoned_by = cordoned_by;
  return v;
}

struct Case {
  const char* name;
  NodeAction decided;   // what a later pass decides
  std::string version;  // the node's resourceVersion that later pass read
  Duration later;       // how long after the write
  bool held;            // held back as not yet seen
};

// A cordon of n1 was written from version "7"; what a later pass decides is held back only
// while the cache still shows version "7", and not beyond kHoldAtMost.
TEST(UnseenNodeWritesTest, HoldsBackOnlyWhatTheCacheHasNotShown) {
  const Duration hold = UnseenNodeWrites::kHoldAtMost;
  const Case cases[] = {
      {"same write, cache still at the version read", kCordonN1, "7", Duration(0), true},
      {"just before the hold ends", kCordonN1, "7", hold - std::chrono::milliseconds(1), true},
      {"the hold ended: the watch may be stuck", kCordonN1, "7", hold, false},
      {"a newer version still uncordoned: someone undid it", kCordonN1, "8", Duration(0), false},
      {"another write to the node", {ActionType::kUncordon, "n1", ""}, "7", Duration(0), false},
      {"another node", {ActionType::kCordon, "n2", "run/uid"}, "7", Duration(0), false},
      {"a drain polls pods: never held", {ActionType::kDrain, "n1", ""}, "7", Duration(0), false},
      {"no version known", kCordonN1, "", Duration(0), false},
  };
  for (const Case& c : cases) {
    FakeClock clock(TimePoint{});
    UnseenNodeWrites unseen(clock);
    unseen.Written(kCordonN1, "7");
    unseen.Written({ActionType::kDrain, "n1", ""}, "7");  // ignored: not a node write
    unseen.Written(kCordonN1, "7");
    clock.Advance(c.later);
    EXPECT_EQ(unseen.Unseen(c.decided, c.version), c.held) << c.name;
  }
}

// Writes past kHoldAtMost hold nothing back and are not kept: a long run's controller keeps
// the nodes written lately, not every node it ever wrote.
TEST(UnseenNodeWritesTest, ForgetsWritesPastTheHold) {
  const Duration hold = UnseenNodeWrites::kHoldAtMost;
  FakeClock clock(TimePoint{});
  UnseenNodeWrites unseen(clock);
  for (int i = 0; i < 100; ++i) {
    unseen.Written({ActionType::kCordon, "old-" + std::to_string(i), "run/uid"}, "7");
  }
  EXPECT_EQ(unseen.size(), 100u);
  clock.Advance(hold);
  unseen.Written(kCordonN1, "7");
  EXPECT_EQ(unseen.size(), 1u) << "the writes older than the hold were swept";
  EXPECT_TRUE(unseen.Unseen(kCordonN1, "7"));
  // Sweeps are at most one per hold: a write just after keeps what came before it.
  clock.Advance(hold - std::chrono::milliseconds(1));
  unseen.Written({ActionType::kCordon, "n2", "run/uid"}, "7");
  EXPECT_EQ(unseen.size(), 2u);
  EXPECT_TRUE(unseen.Unseen(kCordonN1, "7")) << "still within its hold";
}

TEST(UnseenNodeWritesTest, NothingWrittenHoldsNothing) {
  FakeClock clock(TimePoint{});
  UnseenNodeWrites unseen(clock);
  EXPECT_FALSE(unseen.Unseen(kCordonN1, "7"));
  EXPECT_FALSE(unseen.AnyUnseen(Cached("7", false, "")));
}

// AnyUnseen: the write's node still at the version it was decided from, or at a later one
// (someone else's write came first) that lacks its effect; never past the hold.
TEST(UnseenNodeWritesTest, AnyUnseenUntilTheCacheShowsTheWritesEffect) {
  FakeClock clock(TimePoint{});
  UnseenNodeWrites unseen(clock);
  unseen.Written(kCordonN1, "7");
  EXPECT_TRUE(unseen.AnyUnseen(Cached("7", false, "")));
  EXPECT_TRUE(unseen.AnyUnseen(Cached("8", false, ""))) << "another writer's version came first";
  EXPECT_FALSE(unseen.AnyUnseen(Cached("9", true, "run/uid"))) << "the cordon shows";
  EXPECT_TRUE(unseen.AnyUnseen(Cached("9", true, ""))) << "an admin's cordon is not ours";
  EXPECT_FALSE(unseen.AnyUnseen(Cached("", false, ""))) << "no version known";
  NodeView n2 = Cached("7", false, "");
  n2.name = "n2";
  EXPECT_FALSE(unseen.AnyUnseen(n2)) << "another node";
  clock.Advance(UnseenNodeWrites::kHoldAtMost);
  EXPECT_FALSE(unseen.AnyUnseen(Cached("7", false, ""))) << "past the hold";

  unseen.Written({ActionType::kUncordon, "n1", ""}, "9");
  EXPECT_TRUE(unseen.AnyUnseen(Cached("10", true, "run/uid")));
  EXPECT_FALSE(unseen.AnyUnseen(Cached("11", false, "")));
}

// A write that failed in a way that leaves open whether it was applied (a timeout): pending
// for AnyUnseen until its effect shows or the hold ends, and never held back from being sent
// again.
TEST(UnseenNodeWritesTest, AWriteThatMayHaveLandedIsPendingButSentAgain) {
  FakeClock clock(TimePoint{});
  UnseenNodeWrites unseen(clock);
  unseen.MaybeWritten(kCordonN1, "7");
  EXPECT_FALSE(unseen.Unseen(kCordonN1, "7")) << "held back: a failed cordon is sent again";
  EXPECT_TRUE(unseen.AnyUnseen(Cached("7", false, "")));
  EXPECT_TRUE(unseen.AnyUnseen(Cached("8", false, "")));
  EXPECT_FALSE(unseen.AnyUnseen(Cached("8", true, "run/uid"))) << "it landed, and shows";
  clock.Advance(UnseenNodeWrites::kHoldAtMost);
  EXPECT_FALSE(unseen.AnyUnseen(Cached("7", false, ""))) << "past the hold";
}

}  // namespace
}  // namespace kcau::reconcilers
