// The run lock's decision, case by case, and the planner's respect for another run's cordon.
#include "reconcilers/run_lock.h"

#include <gtest/gtest.h>

#include "reconcilers/rollout_planner.h"
#include "tests/unit/reconcilers/builders.h"
#include "tests/unit/reconcilers/planner_world.h"

namespace kcau::reconcilers {
namespace {

using std::chrono::seconds;
using testing::kStart;
using testing::PlanRollout;

struct LockCase {
  const char* name;
  std::optional<RunLockHolder> holder;
  HolderRunState holder_run;
  bool force_recovery;
  RunLockVerdict want;
  const char* message_has;
};

void PrintTo(const LockCase& c, std::ostream* os) { *os << c.name; }

class RunLockTest : public ::testing::TestWithParam<LockCase> {};

TEST_P(RunLockTest, Decides) {
  const LockCase& c = GetParam();
  RunLockDecision d = DecideRunLock(
      "me/u1", c.holder, c.holder_run, c.force_recovery,
      [](TimePoint then) { return std::chrono::duration_cast<Duration>(kStart - then); });
  EXPECT_EQ(d.verdict, c.want) << d.message;
  EXPECT_NE(d.message.find(c.message_has), std::string::npos) << d.message;
}

RunLockHolder Held(const std::string& who, Duration age) {
  return RunLockHolder{who, kStart - age, kRunLockLeaseSeconds};
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RunLockTest,
    ::testing::Values(
        LockCase{"Free", std::nullopt, {}, false, RunLockVerdict::kTake, "free"},
        LockCase{"Mine", Held("me/u1", seconds(5)), {}, false, RunLockVerdict::kHeld, "this run"},
        LockCase{"HolderDeleted",
                 Held("old/u0", seconds(5)),
                 {false, false, {}},
                 false,
                 RunLockVerdict::kTake,
                 "no longer exists"},
        LockCase{"HolderActive",
                 Held("other/u2", seconds(5)),
                 {true, true, {}},
                 true,
                 RunLockVerdict::kWait,
                 "run other/u2 holds"},
        LockCase{"HolderStale",
                 Held("other/u2", seconds(120)),
                 {true, true, {}},
                 false,
                 RunLockVerdict::kWait,
                 "forceRecovery"},
        LockCase{"HolderStaleRecovered",
                 Held("other/u2", seconds(120)),
                 {true, true, {}},
                 true,
                 RunLockVerdict::kRecover,
                 "not renewed"},
        LockCase{"HolderEndedClean",
                 Held("other/u2", seconds(500)),
                 {true, false, {}},
                 false,
                 RunLockVerdict::kTake,
                 "left nothing cordoned"},
        LockCase{"HolderFailedLeftNodes",
                 Held("other/u2", seconds(500)),
                 {true, false, {"n1"}},
                 false,
                 RunLockVerdict::kWait,
                 "left node(s) cordoned: n1"},
        LockCase{"HolderFailedRecovered",
                 Held("other/u2", seconds(500)),
                 {true, false, {"n1"}},
                 true,
                 RunLockVerdict::kRecover,
                 "n1"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(RunLockNameTest, SameSelectorSameLockOtherwiseAnother) {
  crd::UpdateRunSpec a, b, c, none;
  a.node_selector = crd::LabelSelector{{{"pool", "gpu"}, {"zone", "a"}}, {}};
  b.node_selector = crd::LabelSelector{{{"zone", "a"}, {"pool", "gpu"}}, {}};
  c.node_selector = crd::LabelSelector{{{"pool", "cpu"}}, {}};
  EXPECT_EQ(RunLockName(a), RunLockName(b));
  EXPECT_NE(RunLockName(a), RunLockName(c));
  EXPECT_NE(RunLockName(a), RunLockName(none));
  EXPECT_EQ(RunLockName(none).rfind("kcau-run-lock-", 0), 0u);
  EXPECT_LE(RunLockName(none).size(), 63u) << "a valid object name";
}

TEST(RunLockTest, FailedNodesStillCordonedByTheRunKeepItLocked) {
  crd::UpdateRunStatus st;
  st.nodes = {{.name = "n1", .phase = crd::NodePhase::kFailed},
              {.name = "n2", .phase = crd::NodePhase::kFailed},
              {.name = "n3", .phase = crd::NodePhase::kSucceeded}};
  EXPECT_EQ(NodesLeftCordoned(st, "r/u", {{"n1", "r/u"}, {"n2", "x/y"}, {"n3", "r/u"}}),
            (std::vector<std::string>{"n1"}));
}

// The planner's side: a node another run cordoned is not taken without forceRecovery; with
// it, the node is taken over (re-cordoned as this run's) and released at the end.
TEST(RolloutLockTest, NodeCordonedByAnotherRunWaitsUnlessForceRecovery) {
  testing::World w = testing::ThreeNodes();
  w.nodes["n2"].unschedulable = true;
  w.nodes["n2"].cordoned_by = "old/u0";
  RolloutDecision d = PlanRollout(testing::MakeRun(), w.View(), kStart);
  EXPECT_EQ(testing::NodeIn(d.status, "n2").phase, crd::NodePhase::kPending);
  EXPECT_TRUE(d.actions.empty());
  EXPECT_EQ(testing::ConditionReason(d.status, crd::kConditionProgressing), "True/Blocked");

  w = testing::ThreeNodes();
  w.nodes["n2"].unschedulable = true;
  w.nodes["n2"].cordoned_by = "old/u0";
  crd::UpdateRun recovering = testing::MakeRun();
  recovering.spec.force_recovery = true;
  recovering.spec.fields_present.insert("spec.forceRecovery");
  TimePoint now = kStart;
  crd::UpdateRun run = testing::Drive(recovering, w, now);
  EXPECT_EQ(run.status.phase, crd::RunPhase::kSucceeded);
  EXPECT_FALSE(w.nodes["n2"].unschedulable);
  EXPECT_FALSE(testing::NodeIn(run.status, "n2").was_unschedulable);
}

}  // namespace
}  // namespace kcau::reconcilers
