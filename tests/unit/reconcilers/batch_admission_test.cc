// Admission blockers as values: which kind holds a node back, and the words status shows.
#include "reconcilers/batch_admission.h"

#include <gtest/gtest.h>

#include "tests/unit/reconcilers/builders.h"

namespace kcau::reconcilers {
namespace {

using testing::MakeNode;
using Kind = Blocker::Kind;

struct BlockerCase {
  const char* name;
  std::vector<NodeView> cluster;  // the first is the node that would start next
  std::vector<std::string> in_flight;
  int max_unavailable;
  bool site_aware;
  Blocker want;
  std::string want_message;
  bool held_from_outside;
};

class AdmissionBlockerTest : public ::testing::TestWithParam<BlockerCase> {};

TEST_P(AdmissionBlockerTest, KindDetailAndMessage) {
  const BlockerCase& c = GetParam();
  std::vector<const NodeView*> in_flight;
  for (const auto& name : c.in_flight) {
    for (const auto& n : c.cluster) {
      if (n.name == name) in_flight.push_back(&n);
    }
  }
  const Blocker got =
      AdmissionBlocker(c.cluster.front(), in_flight, c.cluster, c.max_unavailable, c.site_aware);
  EXPECT_EQ(got, c.want);
  EXPECT_EQ(got.IsBlocked(), c.want.kind != Kind::kNone);
  EXPECT_EQ(BlockerMessage(got), c.want_message);
  EXPECT_EQ(got.HeldFromOutside(), c.held_from_outside);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AdmissionBlockerTest,
    ::testing::Values(
        BlockerCase{"free", {MakeNode("w1"), MakeNode("w2")}, {}, 1, false, {}, "", false},
        BlockerCase{"pace",
                    {MakeNode("w2"), MakeNode("w1")},
                    {"w1"},
                    1,
                    false,
                    {Kind::kPace, "maxUnavailable=1 nodes in flight"},
                    "maxUnavailable=1 nodes in flight",
                    false},
        BlockerCase{"site",
                    {MakeNode("b1").Zone("b"), MakeNode("a1").Zone("a")},
                    {"a1"},
                    2,
                    true,
                    {Kind::kSite, "site b waits for site a to finish"},
                    "site b waits for site a to finish",
                    false},
        BlockerCase{"site without zone",
                    {MakeNode("x1"), MakeNode("a1").Zone("a")},
                    {"a1"},
                    2,
                    true,
                    {Kind::kSite, "site (no zone) waits for site a to finish"},
                    "site (no zone) waits for site a to finish",
                    false},
        BlockerCase{"quorum: one control-plane node at a time",
                    {MakeNode("cp2").ControlPlane(), MakeNode("cp1").ControlPlane()},
                    {"cp1"},
                    2,
                    false,
                    {Kind::kQuorum,
                     "control-plane node cp1 is being updated (one control-plane node at a time)"},
                    "quorum: control-plane node cp1 is being updated (one control-plane node at a "
                    "time)",
                    true},
        BlockerCase{
            "quorum: another control-plane node is cordoned",
            {MakeNode("cp2").ControlPlane(), MakeNode("cp1").ControlPlane().Cordoned()},
            {},
            1,
            false,
            {Kind::kQuorum, "control-plane node cp1 is cordoned; cp2 waits until it is back"},
            "quorum: control-plane node cp1 is cordoned; cp2 waits until it is back",
            true}),
    [](const ::testing::TestParamInfo<BlockerCase>& info) {
      std::string name;
      for (char ch : std::string(info.param.name)) name += std::isalnum(ch) ? ch : '_';
      return name;
    });

TEST(BlockerMessageTest, RunLockSaysLocked) {
  const Blocker lock{Kind::kRunLock, "node w1 was cordoned by run other/uid"};
  EXPECT_EQ(BlockerMessage(lock), "locked: node w1 was cordoned by run other/uid");
  EXPECT_TRUE(lock.HeldFromOutside());
  EXPECT_EQ(BlockerMessage(Blocker{}), "");
}

}  // namespace
}  // namespace kcau::reconcilers
