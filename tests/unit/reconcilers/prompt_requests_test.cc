// The update request made as soon as a Draining node is drained (prompt_requests.h): a pass
// names its Draining nodes and the request each makes once drained, which must be exactly
// the request the run's next pass would decide; a pass that finds the request made takes
// the node as Updating and does not write it again, whatever else it decides (a stop); and
// a run's expectations are made at most once, never after its pass began.
#include "reconcilers/prompt_requests.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reconcilers/rollout_planner.h"
#include "tests/unit/reconcilers/builders.h"
#include "tests/unit/reconcilers/planner_world.h"

namespace kcau::reconcilers {
namespace {

using crd::NodePhase;
using testing::kStart;
using testing::MakeRun;
using testing::NodeIn;
using testing::PlanRollout;
using testing::ThreeNodes;
using testing::World;

TimePoint At(int seconds) { return kStart + std::chrono::seconds(seconds); }

std::vector<NodeAction> ActionsOn(const std::vector<NodeAction>& actions, const std::string& node) {
  std::vector<NodeAction> on;
  for (const auto& a : actions) {
    if (a.node == node) on.push_back(a);
  }
  return on;
}

// n2 (the fewest pods: first) scanned, then cordoned and drained: Draining, as the status
// that pass wrote says, with the world after its actions. The decision is that pass's.
RolloutDecision DrainN2(crd::UpdateRun& run, World& w) {
  RolloutDecision d = PlanRollout(run, w.View(), kStart);
  run.status = d.status;
  w.Apply(d.actions);  // n2's scan: updates apply
  d = PlanRollout(run, w.View(), At(1));
  EXPECT_EQ(NodeIn(d.status, "n2").phase, NodePhase::kDraining);
  run.status = d.status;
  w.Apply(d.actions);  // cordoned, its pods evicted
  return d;
}

TEST(PromptRequestsTest, TheRequestExpectedIsTheOneTheNextPassDecides) {
  for (bool separate_reboots : {false, true}) {
    SCOPED_TRACE(separate_reboots);
    World w = ThreeNodes();
    crd::UpdateRun run = MakeRun();
    run.spec.separate_reboots = separate_reboots;
    const RolloutDecision drained = DrainN2(run, w);
    ASSERT_EQ(drained.request_on_drained.size(), 1u);
    const RequestOnDrained& expected = drained.request_on_drained.front();
    EXPECT_EQ(expected.node, "n2");
    EXPECT_EQ(expected.request.type, ActionType::kRequestUpdate);

    const RolloutDecision next = PlanRollout(run, w.View(), At(2));
    EXPECT_EQ(NodeIn(next.status, "n2").phase, NodePhase::kUpdating);
    EXPECT_EQ(NodeIn(next.status, "n2").request_token, expected.request.token);
    EXPECT_EQ(ActionsOn(next.actions, "n2"), std::vector<NodeAction>{expected.request});
    EXPECT_TRUE(next.request_on_drained.empty()) << "n2 is Updating: nothing is expected";
  }
}

// The request made before the pass: the pass takes n2 into its attempt, goes on with the
// answer already there (installed, rebooted), and writes the request no second time.
TEST(PromptRequestsTest, APassFindingTheRequestMadeTakesTheNodeAsUpdating) {
  World w = ThreeNodes();
  crd::UpdateRun run = MakeRun();
  const RolloutDecision drained = DrainN2(run, w);
  ASSERT_EQ(drained.request_on_drained.size(), 1u);
  const NodeAction request = drained.request_on_drained.front().request;
  w.Apply({request});  // n2's agent installs and reboots at once

  const RolloutDecision next = PlanRollout(run, w.View(), At(2));
  const crd::NodeResult& n2 = NodeIn(next.status, "n2");
  EXPECT_EQ(n2.attempts, 1);
  EXPECT_TRUE(n2.rebooted) << "the answer was taken in the same pass";
  EXPECT_EQ(n2.round, 2) << "on to the re-scan after the reboot";
  EXPECT_EQ(w.Count(ActionType::kRequestUpdate, "n2"), 2) << "the scan and the install";
  for (const auto& a : ActionsOn(next.actions, "n2")) {
    EXPECT_FALSE(a.type == ActionType::kRequestUpdate && a.token == request.token)
        << "the request is not written again";
  }
}

// Still holding a pod (one bound to it after it was empty), but showing the request: the
// node is being updated, and says so.
TEST(PromptRequestsTest, TheRequestShownOutweighsAPodBoundSince) {
  World w = ThreeNodes();
  crd::UpdateRun run = MakeRun();
  const RolloutDecision drained = DrainN2(run, w);
  const NodeAction request = drained.request_on_drained.front().request;
  w.silent_installs.insert("n2");
  w.Apply({request});
  w.nodes["n2"].evictable_pods = 1;
  const RolloutDecision next = PlanRollout(run, w.View(), At(2));
  EXPECT_EQ(NodeIn(next.status, "n2").phase, NodePhase::kUpdating);
  EXPECT_EQ(ActionsOn(next.actions, "n2"), std::vector<NodeAction>{});
}

// A stop decided while the request was on its way (its job running, pods still shown): the
// node waits to be brought back; once the request shows, it is updated after all (the agent
// may be at it), neither uncordoned nor its request withdrawn, and the run waits for it.
TEST(PromptRequestsTest, AStopRacingTheRequestUpdatesTheNodeAfterAll) {
  World w = ThreeNodes();
  w.pdb_protected["n2"] = 1;  // one pod left after the drain, as the stopping pass sees it
  crd::UpdateRun run = MakeRun();
  const RolloutDecision drained = DrainN2(run, w);
  const NodeAction request = drained.request_on_drained.front().request;
  run.spec.stop = true;
  std::vector<NodeView> views = w.View();
  for (auto& v : views) v.own_write_pending = v.name == "n2";
  RolloutDecision d = PlanRollout(run, views, At(2));
  EXPECT_EQ(NodeIn(d.status, "n2").phase, NodePhase::kUncordoned);
  EXPECT_EQ(ActionsOn(d.actions, "n2"), std::vector<NodeAction>{}) << "waits for its write";
  EXPECT_TRUE(d.request_on_drained.empty()) << "nothing more is asked of a node going back";
  run.status = d.status;

  w.silent_installs.insert("n2");
  w.Apply({request});
  d = PlanRollout(run, w.View(), At(3));
  const crd::NodeResult& n2 = NodeIn(d.status, "n2");
  EXPECT_EQ(n2.phase, NodePhase::kUpdating);
  EXPECT_FALSE(n2.restore_to.has_value());
  EXPECT_EQ(n2.request_token, request.token);
  EXPECT_EQ(ActionsOn(d.actions, "n2"), std::vector<NodeAction>{})
      << "neither uncordoned nor withdrawn, nor asked again";
  EXPECT_EQ(d.status.phase, crd::RunPhase::kRunning) << "stopping: waits for n2";
}

NodeAction Request(const std::string& node, const std::string& token) {
  return NodeAction{ActionType::kRequestUpdate, node, token};
}

TEST(PromptRequestsTest, AnExpectedRequestIsMadeOnceStartSaysItWas) {
  PromptRequests requests;
  requests.Expect("run", {{"n1", Request("n1", "t1")}}, nullptr);
  std::vector<std::string> tried;
  requests.Try("n1", [&](const PromptRequests::Due& due) {
    tried.push_back(due.run + " " + due.request.token);
    return false;  // not drained yet
  });
  requests.Try("n2", [&](const PromptRequests::Due&) {
    tried.push_back("n2");
    return true;
  });
  EXPECT_EQ(tried, (std::vector<std::string>{"run t1"})) << "n2 is expected of no run";
  requests.Try("n1", [&](const PromptRequests::Due& due) {
    tried.push_back(due.run + " " + due.request.token);
    return true;
  });
  requests.Try("n1", [&](const PromptRequests::Due&) {
    tried.push_back("again");
    return true;
  });
  EXPECT_EQ(tried, (std::vector<std::string>{"run t1", "run t1"}));
}

TEST(PromptRequestsTest, APassStartingForgetsItsRunsExpectationsOnly) {
  PromptRequests requests;
  requests.Expect("a", {{"n1", Request("n1", "a1")}}, nullptr);
  requests.Expect("b", {{"n2", Request("n2", "b2")}}, nullptr);
  requests.Forget("a");
  std::vector<std::string> made;
  const auto start = [&](const PromptRequests::Due& due) {
    made.push_back(due.request.token);
    return true;
  };
  requests.Try("n1", start);
  requests.Try("n2", start);
  EXPECT_EQ(made, (std::vector<std::string>{"b2"}));

  requests.Expect("a", {{"n1", Request("n1", "a1")}}, nullptr);
  requests.Expect("a", {{"n3", Request("n3", "a3")}}, nullptr);  // the next pass's
  requests.Try("n1", start);
  requests.Try("n3", start);
  EXPECT_EQ(made, (std::vector<std::string>{"b2", "a3"}));
}

}  // namespace
}  // namespace kcau::reconcilers
