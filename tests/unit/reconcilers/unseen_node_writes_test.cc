#include "reconcilers/unseen_node_writes.h"

#include <gtest/gtest.h>

namespace kcau::reconcilers {
namespace {

const NodeAction kCordonN1{ActionType::kCordon, "n1", "run/uid"};

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

TEST(UnseenNodeWritesTest, NothingWrittenHoldsNothing) {
  FakeClock clock(TimePoint{});
  UnseenNodeWrites unseen(clock);
  EXPECT_FALSE(unseen.Unseen(kCordonN1, "7"));
}

}  // namespace
}  // namespace kcau::reconcilers
