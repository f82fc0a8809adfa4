#include "reconcilers/rollout_planner.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "reconcilers/conditions.h"
#include "tests/unit/reconcilers/builders.h"
#include "tests/unit/reconcilers/planner_world.h"

namespace kcau::reconcilers {
namespace {

using crd::NodePhase;
using crd::RunPhase;
using testing::ConditionReason;
using testing::Drive;
using testing::kStart;
using testing::MakeNode;
using testing::MakeRun;
using testing::NodeIn;
using testing::PlanRollout;
using testing::ThreeNodes;
using testing::World;

NodeAction ScanOf(const std::string& node, const std::string& token) {
  NodeAction a{ActionType::kRequestUpdate, node, token};
  a.scan = true;
  return a;
}

// The node's agent scans it first; once it reports updates, the node is cordoned and drained
// in one job (the drain right after the cordon) and the next one is scanned while it is
// updated.
TEST(RolloutPlannerTest, StartsWithFewestPodsFirstScansThenCordonsIt) {
  World w = ThreeNodes();
  crd::UpdateRun run = MakeRun();
  RolloutDecision d = PlanRollout(run, w.View(), kStart);
  EXPECT_EQ(d.status.phase, RunPhase::kRunning);
  EXPECT_EQ(d.status.plan, (std::vector<std::string>{"n2", "n3", "n1"}));
  EXPECT_EQ(NodeIn(d.status, "n2").phase, NodePhase::kScanning);
  EXPECT_EQ(NodeIn(d.status, "n2").attempts, 0) << "a scan that answers uses no attempt";
  EXPECT_EQ(NodeIn(d.status, "n1").phase, NodePhase::kPending);
  EXPECT_EQ(d.actions, (std::vector<NodeAction>{ScanOf("n2", "run/uid-1/n2/1/scan")}));
  EXPECT_EQ(ConditionReason(d.status, crd::kConditionProgressing), "True/Started");
  EXPECT_FALSE(d.terminal);

  run.status = d.status;
  w.Apply(d.actions);  // n2's agent: 4 updates apply
  d = PlanRollout(run, w.View(), kStart + std::chrono::seconds(1));
  EXPECT_EQ(NodeIn(d.status, "n2").phase, NodePhase::kDraining);
  EXPECT_EQ(NodeIn(d.status, "n2").boot_id_before, "n2-boot-1");
  EXPECT_EQ(NodeIn(d.status, "n3").phase, NodePhase::kScanning);
  EXPECT_EQ(NodeIn(d.status, "n1").phase, NodePhase::kPending) << "one scan ahead at a time";
  EXPECT_EQ(d.actions, (std::vector<NodeAction>{{ActionType::kCordon, "n2", "run/uid-1"},
                                                {ActionType::kDrain, "n2", ""},
                                                ScanOf("n3", "run/uid-1/n3/1/scan")}));
}

// n2's actions among `actions`.
std::vector<NodeAction> ActionsOnN2(const std::vector<NodeAction>& actions) {
  std::vector<NodeAction> on;
  for (const auto& a : actions) {
    if (a.node == "n2") on.push_back(a);
  }
  return on;
}

// A node an admin had cordoned is not cordoned again when taken, and drained once: by the
// step it takes at once, not also with a cordon.
TEST(RolloutPlannerTest, AnAdminCordonedNodeIsDrainedOnceWhenTaken) {
  World w = ThreeNodes();
  w.nodes["n2"].unschedulable = true;
  crd::UpdateRun run = MakeRun();
  RolloutDecision d = PlanRollout(run, w.View(), kStart);
  run.status = d.status;
  w.Apply(d.actions);  // n2's scan: updates apply
  d = PlanRollout(run, w.View(), kStart + std::chrono::seconds(1));
  EXPECT_EQ(NodeIn(d.status, "n2").phase, NodePhase::kDraining);
  EXPECT_EQ(ActionsOnN2(d.actions), (std::vector<NodeAction>{{ActionType::kDrain, "n2", ""}}));
}

// A node Draining that the cache shows schedulable: while a write of ours may still land
// (its cordon's job, or a cordon not cached yet) nothing is decided; past that it is cordoned
// again, alone: it is drained once a pass sees the cordon, so a drain Force never evicts
// pods before the status has named those nothing recreates.
TEST(RolloutPlannerTest, ADrainingNodeSeenSchedulableWaitsForOurCordonElseIsCordonedAgain) {
  for (crd::DrainMode mode : {crd::DrainMode::kNormal, crd::DrainMode::kForce}) {
    SCOPED_TRACE(static_cast<int>(mode));
    World w = ThreeNodes();
    crd::UpdateRun run = MakeRun();
    run.spec.drain = mode;
    RolloutDecision d = PlanRollout(run, w.View(), kStart);
    run.status = d.status;
    w.Apply(d.actions);  // n2's scan: updates apply
    d = PlanRollout(run, w.View(), kStart + std::chrono::seconds(1));
    ASSERT_EQ(NodeIn(d.status, "n2").phase, NodePhase::kDraining);
    run.status = d.status;  // its cordon not made (or not seen) yet

    std::vector<NodeView> views = w.View();
    for (auto& v : views) v.own_write_pending = v.name == "n2";
    d = PlanRollout(run, views, kStart + std::chrono::seconds(2));
    EXPECT_EQ(NodeIn(d.status, "n2").phase, NodePhase::kDraining);
    EXPECT_EQ(ActionsOnN2(d.actions), std::vector<NodeAction>{}) << "waits for the cordon";

    d = PlanRollout(run, w.View(), kStart + std::chrono::seconds(2));
    EXPECT_EQ(NodeIn(d.status, "n2").phase, NodePhase::kDraining);
    EXPECT_EQ(ActionsOnN2(d.actions),
              (std::vector<NodeAction>{{ActionType::kCordon, "n2", "run/uid-1"}}))
        << "the cordon failed or was undone: cordoned again, not drained";
  }
}

TEST(RolloutPlannerTest, NodeOrderIsTakenAsGiven) {
  World w = ThreeNodes();
  RolloutDecision d = PlanRollout(MakeRun().Order({"n1", "n3"}), w.View(), kStart);
  EXPECT_EQ(d.status.plan, (std::vector<std::string>{"n1", "n3", "n2"}));
}

TEST(RolloutPlannerTest, NodeSelectorLimitsThePlan) {
  World w = ThreeNodes();
  w.nodes["n3"].labels.Set("pool", "gpu");
  RolloutDecision d = PlanRollout(MakeRun().Selector("pool", "gpu"), w.View(), kStart);
  EXPECT_EQ(d.status.plan, (std::vector<std::string>{"n3"}));
}

struct BadRunCase {
  std::string name;
  crd::UpdateRun run;
  std::string reason;
  std::string message_names;
};

// Test names and failure messages show the case's name, not its bytes.
void PrintTo(const BadRunCase& c, std::ostream* os) { *os << c.name; }

class BadRunTest : public ::testing::TestWithParam<BadRunCase> {};

TEST_P(BadRunTest, EndsFailedNamingTheFieldAndTouchesNoNode) {
  const BadRunCase& c = GetParam();
  World w = ThreeNodes();
  RolloutDecision d = PlanRollout(c.run, w.View(), kStart);
  EXPECT_EQ(d.status.phase, RunPhase::kFailed);
  EXPECT_TRUE(d.terminal);
  EXPECT_TRUE(d.actions.empty());
  EXPECT_TRUE(d.status.nodes.empty());
  const crd::Condition* failed = FindCondition(d.status.conditions, crd::kConditionFailed);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->status, "True");
  EXPECT_EQ(failed->reason, c.reason);
  EXPECT_NE(failed->message.find(c.message_names), std::string::npos) << failed->message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadRunTest,
    ::testing::Values(BadRunCase{"UnknownPlugin", MakeRun().Plugins({"windows-update"}), "Invalid",
                                 "spec.plugins"},
                      BadRunCase{"NegativeMaxFailedNodes", MakeRun().MaxFailed(-1), "Invalid",
                                 "spec.maxFailedNodes"},
                      BadRunCase{"NodeOrderUnknownNode", MakeRun().Order({"n1", "ghost"}),
                                 "Invalid", "ghost"},
                      BadRunCase{"SelectorMatchesNothing", MakeRun().Selector("pool", "none"),
                                 "Invalid", "spec.nodeSelector"},
                      BadRunCase{"UnsupportedField", MakeRun().Field("spec.settle"), "Unsupported",
                                 "spec.settle"}),
    [](const auto& info) { return info.param.name; });

TEST(RolloutPlannerTest, WholeRunUpdatesEveryNodeOnceAndUncordonsIt) {
  World w = ThreeNodes();
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(MakeRun(), w, now);
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded);
  EXPECT_EQ(ConditionReason(run.status, crd::kConditionSucceeded), "True/Completed");
  EXPECT_EQ(ConditionReason(run.status, crd::kConditionProgressing), "False/Completed");
  EXPECT_EQ(run.status.nodes_succeeded, 3);
  for (const auto& [name, node] : w.nodes) {
    SCOPED_TRACE(name);
    EXPECT_EQ(w.reboots[name], 1);
    EXPECT_FALSE(node.unschedulable);
    const auto& r = NodeIn(run.status, name);
    EXPECT_EQ(r.phase, NodePhase::kSucceeded);
    EXPECT_TRUE(r.rebooted);
    EXPECT_EQ(r.attempts, 1);
    EXPECT_EQ(r.updates_installed, 4);
  }
}

TEST(RolloutPlannerTest, OneNodeAtATime) {
  World w = ThreeNodes();
  TimePoint now = kStart;
  crd::UpdateRun run = MakeRun();
  for (int i = 0; i < 100; ++i) {
    RolloutDecision d = PlanRollout(run, w.View(), now);
    run.status = d.status;
    int in_flight = 0;  // taken out of service (a node being scanned first is not)
    for (const auto& r : d.status.nodes) in_flight += testing::Taken(r.phase) ? 1 : 0;
    ASSERT_LE(in_flight, 1);
    if (d.terminal) break;
    w.Apply(d.actions);
    now += std::chrono::seconds(1);
  }
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded);
}

TEST(RolloutPlannerTest, NodeThatNeverReturnsFailsAfterRebootTimeoutAndStopsRun) {
  World w = ThreeNodes();
  w.never_returns.insert("n2");  // first in the plan
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(MakeRun().MaxFailed(0).RebootTimeoutMinutes(5), w, now);
  EXPECT_EQ(run.status.phase, RunPhase::kFailed);
  const auto& n2 = NodeIn(run.status, "n2");
  EXPECT_EQ(n2.phase, NodePhase::kFailed);
  EXPECT_NE(n2.message.find("rebootTimeoutMinutes=5"), std::string::npos) << n2.message;
  EXPECT_NE(n2.message.find("left cordoned"), std::string::npos) << n2.message;
  EXPECT_EQ(NodeIn(run.status, "n3").phase, NodePhase::kSkipped);
  EXPECT_EQ(NodeIn(run.status, "n1").phase, NodePhase::kSkipped);
  const crd::Condition* failed = FindCondition(run.status.conditions, crd::kConditionFailed);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->reason, "TooManyFailedNodes");
  EXPECT_NE(failed->message.find("n2"), std::string::npos);
  // Untouched nodes stay schedulable; the failed one is cordoned and status says so.
  EXPECT_FALSE(w.nodes["n1"].unschedulable);
  EXPECT_FALSE(w.nodes["n3"].unschedulable);
  EXPECT_TRUE(w.nodes["n2"].unschedulable);
  EXPECT_GE(now - kStart, std::chrono::minutes(5));
}

TEST(RolloutPlannerTest, RebootTimeoutIsNotHitBeforeItsTime) {
  World w = ThreeNodes();
  w.never_returns.insert("n2");
  crd::UpdateRun run = MakeRun().MaxFailed(0).RebootTimeoutMinutes(5);
  TimePoint now = kStart;
  // Take n2 to Rebooting.
  testing::StepUntil(run, w, now, "n2", NodePhase::kRebooting);
  ASSERT_EQ(NodeIn(run.status, "n2").phase, NodePhase::kRebooting);
  RolloutDecision early = PlanRollout(run, w.View(), now + std::chrono::minutes(4));
  EXPECT_EQ(NodeIn(early.status, "n2").phase, NodePhase::kRebooting);
  ASSERT_TRUE(early.requeue_after.has_value());
  EXPECT_LE(*early.requeue_after, kRebootPollInterval);
  RolloutDecision late = PlanRollout(run, w.View(), now + std::chrono::minutes(5));
  EXPECT_EQ(NodeIn(late.status, "n2").phase, NodePhase::kFailed);
}

TEST(RolloutPlannerTest, FailedUpdateIsRetriedUpToMaxRetries) {
  struct Case {
    int failures;
    int max_retries;
    NodePhase want;
    int want_attempts;
  };
  for (const Case& c : {Case{1, 3, NodePhase::kSucceeded, 2}, Case{3, 3, NodePhase::kSucceeded, 4},
                        Case{4, 3, NodePhase::kFailed, 4}, Case{1, 0, NodePhase::kFailed, 1}}) {
    SCOPED_TRACE("failures=" + std::to_string(c.failures) +
                 " maxRetries=" + std::to_string(c.max_retries));
    World w = ThreeNodes();
    w.fail_updates["n2"] = c.failures;
    TimePoint now = kStart;
    crd::UpdateRun run = Drive(MakeRun().MaxRetries(c.max_retries).MaxFailed(1), w, now);
    const auto& n2 = NodeIn(run.status, "n2");
    EXPECT_EQ(n2.phase, c.want);
    EXPECT_EQ(n2.attempts, c.want_attempts);
    // Within the budget of one failed node the run goes on to the others.
    EXPECT_EQ(NodeIn(run.status, "n1").phase, NodePhase::kSucceeded);
    if (c.want == NodePhase::kFailed) {
      EXPECT_EQ(w.reboots["n2"], 0);
      EXPECT_NE(n2.message.find("package manager exited 100"), std::string::npos);
      EXPECT_EQ(ConditionReason(run.status, crd::kConditionSucceeded),
                "True/CompletedWithFailures");
      EXPECT_EQ(ConditionReason(run.status, crd::kConditionWarning), "True/NodesFailed");
    }
  }
}

TEST(RolloutPlannerTest, AdminCordonIsNeverUndone) {
  World w = ThreeNodes();
  w.nodes["n3"].unschedulable = true;  // cordoned by an operator before the run
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(MakeRun(), w, now);
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded);
  EXPECT_TRUE(NodeIn(run.status, "n3").was_unschedulable);
  EXPECT_TRUE(w.nodes["n3"].unschedulable);
  EXPECT_FALSE(w.nodes["n1"].unschedulable);
  for (const auto& a : w.log) {
    EXPECT_FALSE(a.node == "n3" && a.type == ActionType::kUncordon);
  }
}

TEST(RolloutPlannerTest, LostAgentRequestIsWrittenAgain) {
  World w = ThreeNodes();
  crd::UpdateRun run = MakeRun();
  TimePoint now = kStart;
  // Reach Updating, then pretend the annotation write was lost (controller died after the
  // status write): the next pass must write the request again with the same token.
  std::optional<NodeAction> request;
  for (int i = 0; i < 10 && !request; ++i) {
    RolloutDecision d = PlanRollout(run, w.View(), now);
    run.status = d.status;
    for (const auto& a : d.actions) {
      if (a.type == ActionType::kRequestUpdate && !a.scan && a.node == "n2")
        request = a;
      else
        w.Apply({a});
    }
  }
  ASSERT_TRUE(request);
  // The request names the re-scan round its agent begins after the reboot.
  EXPECT_EQ(request->token, RequestToken(run, "n2", 1, 1));
  EXPECT_EQ(request->rescan_token, RequestToken(run, "n2", 1, 2));
  RolloutDecision again = PlanRollout(run, w.View(), now);
  EXPECT_EQ(again.actions, std::vector<NodeAction>{*request});
  EXPECT_EQ(NodeIn(again.status, "n2").attempts, 1);
}

TEST(RolloutPlannerTest, EndedRunIsLeftAlone) {
  World w = ThreeNodes();
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(MakeRun(), w, now);
  RolloutDecision d = PlanRollout(run, w.View(), now + std::chrono::hours(1));
  EXPECT_TRUE(d.terminal);
  EXPECT_TRUE(d.actions.empty());
  EXPECT_EQ(d.status, run.status);
}

TEST(PodCountsNeededTest, AllBeforePlanThenOnlyDrainingNodes) {
  crd::UpdateRun run = MakeRun();
  EXPECT_TRUE(PodCountsNeeded(run).all);
  World w = ThreeNodes();
  RolloutDecision d = PlanRollout(run, w.View(), kStart);
  run.status = d.status;
  PodCountNeeds needs = PodCountsNeeded(run);
  EXPECT_FALSE(needs.all);
  EXPECT_TRUE(needs.nodes.empty()) << "n2 is being scanned: nothing to drain yet";
  w.Apply(d.actions);
  run.status = PlanRollout(run, w.View(), kStart).status;  // n2 cordoned
  needs = PodCountsNeeded(run);
  EXPECT_EQ(needs.nodes, (std::vector<std::string>{"n2"}));
}

}  // namespace
}  // namespace kcau::reconcilers
