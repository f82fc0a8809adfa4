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

// n2 (the fewest pods: first) scanned (its pre-update hook run, if any), then cordoned and
// drained: Draining, as the status that pass wrote says, with the world after its actions.
// The decision is that pass's.
RolloutDecision DrainN2(crd::UpdateRun& run, World& w) {
  RolloutDecision d;
  for (int pass = 0; pass < 5; ++pass) {
    d = PlanRollout(run, w.View(), At(pass));
    run.status = d.status;
    w.Apply(d.actions);  // the scan (updates apply), the hook, then the cordon and drain
    if (NodeIn(d.status, "n2").phase == NodePhase::kDraining) break;
  }
  EXPECT_EQ(NodeIn(d.status, "n2").phase, NodePhase::kDraining);
  return d;
}

TEST(PromptRequestsTest, TheRequestExpectedIsTheOneTheNextPassDecides) {
  struct Case {
    const char* name;
    crd::UpdateRun run;
  };
  crd::UpdateRun separate = MakeRun();
  separate.spec.separate_reboots = true;
  crd::UpdateRun forced = MakeRun();
  forced.spec.force_reboot = true;
  for (const Case& c : {Case{"plain", MakeRun()}, Case{"separateReboots", separate},
                        Case{"forceReboot", forced}, Case{"preUpdateHook", MakeRun().PreHook()}}) {
    SCOPED_TRACE(c.name);
    World w = ThreeNodes();
    crd::UpdateRun run = c.run;
    const RolloutDecision drained = DrainN2(run, w);
    ASSERT_EQ(drained.request_on_drained.size(), 1u);
    const RequestOnDrained& expected = drained.request_on_drained.front();
    EXPECT_EQ(expected.node, "n2");
    EXPECT_EQ(expected.request.type, ActionType::kRequestUpdate);

    const RolloutDecision next = PlanRollout(run, w.View(), At(9));
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

  const RolloutDecision next = PlanRollout(run, w.View(), At(9));
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

// Still holding a pod (one bound to it after it was empty), or uncordoned by someone since,
// but showing the request: the node is being updated, and says so; an uncordoned one is
// cordoned again, as a Draining node would be.
TEST(PromptRequestsTest, TheRequestShownOutweighsAPodBoundSinceOrAnUncordon) {
  World w = ThreeNodes();
  crd::UpdateRun run = MakeRun();
  const RolloutDecision drained = DrainN2(run, w);
  const NodeAction request = drained.request_on_drained.front().request;
  w.silent_installs.insert("n2");
  w.Apply({request});
  w.nodes["n2"].evictable_pods = 1;
  RolloutDecision next = PlanRollout(run, w.View(), At(9));
  EXPECT_EQ(NodeIn(next.status, "n2").phase, NodePhase::kUpdating);
  EXPECT_EQ(ActionsOn(next.actions, "n2"), std::vector<NodeAction>{});

  w.Apply({{ActionType::kUncordon, "n2", ""}});
  next = PlanRollout(run, w.View(), At(9));
  EXPECT_EQ(NodeIn(next.status, "n2").phase, NodePhase::kUpdating);
  EXPECT_EQ(ActionsOn(next.actions, "n2"),
            (std::vector<NodeAction>{{ActionType::kCordon, "n2", "run/uid-1"}}));
}

// n2 drained but for one pod (the stopping pass sees it), its request `request` on its way
// (a write of ours still landing) when the run is stopped: the stopping pass's decision,
// written as the run's status. n2 waits to be brought back.
RolloutDecision StopWhileTheRequestIsOnItsWay(crd::UpdateRun& run, World& w, NodeAction& request) {
  w.pdb_protected["n2"] = 1;
  const RolloutDecision drained = DrainN2(run, w);
  request = drained.request_on_drained.front().request;
  run.spec.stop = true;
  std::vector<NodeView> views = w.View();
  for (auto& v : views) v.own_write_pending = v.name == "n2";
  RolloutDecision d = PlanRollout(run, views, At(9));
  EXPECT_EQ(NodeIn(d.status, "n2").phase, NodePhase::kUncordoned);
  run.status = d.status;
  return d;
}

// A stop decided while the request was on its way (its job running, pods still shown): the
// node waits to be brought back; once the request shows, it is updated after all (the agent
// may be at it), neither uncordoned nor its request withdrawn, and the run waits for it.
TEST(PromptRequestsTest, AStopRacingTheRequestUpdatesTheNodeAfterAll) {
  World w = ThreeNodes();
  crd::UpdateRun run = MakeRun();
  NodeAction request;
  RolloutDecision d = StopWhileTheRequestIsOnItsWay(run, w, request);
  EXPECT_EQ(ActionsOn(d.actions, "n2"), std::vector<NodeAction>{}) << "waits for its write";
  EXPECT_TRUE(d.request_on_drained.empty()) << "nothing more is asked of a node going back";

  w.silent_installs.insert("n2");
  w.Apply({request});
  d = PlanRollout(run, w.View(), At(10));
  const crd::NodeResult& n2 = NodeIn(d.status, "n2");
  EXPECT_EQ(n2.phase, NodePhase::kUpdating);
  EXPECT_FALSE(n2.restore_to.has_value());
  EXPECT_EQ(n2.request_token, request.token);
  EXPECT_EQ(ActionsOn(d.actions, "n2"), std::vector<NodeAction>{})
      << "neither uncordoned nor withdrawn, nor asked again";
  EXPECT_EQ(d.status.phase, crd::RunPhase::kRunning) << "stopping: waits for n2";
}

// The same race, the request showing only once the node was uncordoned: it is taken back
// (the node is in service again), and the node ends as the stop said.
TEST(PromptRequestsTest, ARequestShownOnlyAfterTheUncordonIsTakenBack) {
  World w = ThreeNodes();
  crd::UpdateRun run = MakeRun();
  NodeAction request;
  RolloutDecision d = StopWhileTheRequestIsOnItsWay(run, w, request);
  d = PlanRollout(run, w.View(), At(10));  // its write seen to have failed: uncordoned
  ASSERT_EQ(ActionsOn(d.actions, "n2"),
            (std::vector<NodeAction>{{ActionType::kUncordon, "n2", ""}}));
  run.status = d.status;
  w.Apply(d.actions);

  w.silent_installs.insert("n2");
  w.Apply({request});  // it had landed after all, and shows now
  d = PlanRollout(run, w.View(), At(11));
  EXPECT_EQ(NodeIn(d.status, "n2").phase, NodePhase::kSkipped);
  EXPECT_EQ(ActionsOn(d.actions, "n2"),
            (std::vector<NodeAction>{{ActionType::kWithdrawRequest, "n2", request.token}}));
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
