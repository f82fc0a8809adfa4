// The re-scan round an agent begins itself after its reboot (kcau.io/update-rescan-request,
// docs/architecture.md): the install request names it, the run writes no request for it,
// learns the round before it from inside it when it saw neither, and asks for it only when
// the agent cannot (another version) or did not (kSelfRescanGrace).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reconcilers/rollout_planner.h"
#include "tests/unit/reconcilers/builders.h"
#include "tests/unit/reconcilers/planner_world.h"

namespace kcau::reconcilers {
namespace {

using crd::NodePhase;
using crd::RunPhase;
using testing::Drive;
using testing::kStart;
using testing::MakeNode;
using testing::MakeRun;
using testing::NodeIn;
using testing::PlanRollout;
using testing::PlanUntil;
using testing::World;

// The update requests (not the scans) the run wrote to `node`, in order.
std::vector<NodeAction> InstallRequests(const World& w, const std::string& node) {
  std::vector<NodeAction> out;
  for (const auto& a : w.log) {
    if (a.type == ActionType::kRequestUpdate && !a.scan && a.node == node) out.push_back(a);
  }
  return out;
}

TEST(SelfRescanTest, EachNodeGetsOneInstallRequestNamingItsRescan) {
  World w = testing::Workers(3);
  TimePoint now = kStart;
  const crd::UpdateRun run = Drive(MakeRun(), w, now);
  ASSERT_EQ(run.status.phase, RunPhase::kSucceeded);
  for (const std::string node : {"w1", "w2", "w3"}) {
    SCOPED_TRACE(node);
    const auto requests = InstallRequests(w, node);
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].rescan_token, RequestToken(run, node, 1, 2));
    EXPECT_EQ(NodeIn(run.status, node).round, 2);
    EXPECT_EQ(NodeIn(run.status, node).updates_installed, 4);
    EXPECT_EQ(w.reboots[node], 1);
  }
}

// The usual order: the run sees the install end, then the node come back, then the re-scan
// round's result, which it waited for without writing anything.
TEST(SelfRescanTest, TheRescanRoundIsAwaitedNotRequested) {
  World w = testing::Workers(1);
  w.no_self_rescan.insert("w1");  // its result is written below, by hand
  crd::UpdateRun run = MakeRun();
  const TimePoint now = kStart;
  const RolloutDecision back = PlanUntil(run, w, now, "w1", NodePhase::kUpdating, 2);
  EXPECT_TRUE(back.actions.empty()) << "nothing written for the re-scan round";
  const std::string rescan = RequestToken(run, "w1", 1, 2);
  EXPECT_EQ(NodeIn(run.status, "w1").request_token, rescan);

  agent::AgentResult found_nothing{rescan, agent::AgentState::kInstalled, false, 0, ""};
  found_nothing.previous = {*w.nodes["w1"].agent_result};
  w.nodes["w1"].agent_result = found_nothing;
  TimePoint later = now + std::chrono::seconds(5);
  run = Drive(run, w, later);
  ASSERT_EQ(run.status.phase, RunPhase::kSucceeded);
  EXPECT_EQ(InstallRequests(w, "w1").size(), 1u);
  EXPECT_EQ(NodeIn(run.status, "w1").updates_installed, 4);
}

// The run saw neither the install's end nor the node's return: the re-scan round's result
// says how the install ended (titles, reboot), and the run goes on from there.
TEST(SelfRescanTest, ARoundMissedIsLearntFromTheRescanRound) {
  World w = testing::Workers(1);
  crd::UpdateRun run = MakeRun();
  const TimePoint now = kStart;
  PlanUntil(run, w, now, "w1", NodePhase::kUpdating, 1);
  // The World's agent answered at once: what the run finds is the re-scan round's result.
  ASSERT_EQ(w.nodes["w1"].agent_result->token, RequestToken(run, "w1", 1, 2));
  const RolloutDecision d = PlanRollout(run, w.View(), now + std::chrono::seconds(1));
  const auto& w1 = NodeIn(d.status, "w1");
  EXPECT_EQ(w1.phase, NodePhase::kUncordoned);
  EXPECT_TRUE(w1.rebooted);
  EXPECT_EQ(w1.reboot_kind, "full");
  EXPECT_EQ(w1.round, 2);
  EXPECT_NE(w1.installed.find("fix 1"), std::string::npos) << w1.installed;
}

// An agent that did not begin the round it was told of (it lost its journal, say) is asked
// for it, once kSelfRescanGrace has passed since the node came back; not before.
TEST(SelfRescanTest, ARescanNotBegunInTimeIsRequested) {
  World w = testing::Workers(1);
  w.no_self_rescan.insert("w1");
  crd::UpdateRun run = MakeRun();
  const TimePoint back = kStart;
  PlanUntil(run, w, back, "w1", NodePhase::kUpdating, 2);
  for (TimePoint now = back; now < back + kSelfRescanGrace; now += kAgentPollInterval) {
    const RolloutDecision d = PlanRollout(run, w.View(), now);
    ASSERT_TRUE(d.actions.empty()) << "asked before the grace ended";
    run.status = d.status;
  }
  const RolloutDecision d = PlanRollout(run, w.View(), back + kSelfRescanGrace);
  ASSERT_EQ(d.actions.size(), 1u);
  EXPECT_EQ(d.actions[0].type, ActionType::kRequestUpdate);
  EXPECT_EQ(d.actions[0].token, RequestToken(run, "w1", 1, 2));
}

// With an agent timeout shorter than twice the grace, half of it is the grace: the agent
// still has time to answer the request before the attempt is given up on.
TEST(SelfRescanTest, AShortAgentTimeoutShortensTheGrace) {
  World w = testing::Workers(1);
  w.no_self_rescan.insert("w1");
  crd::UpdateRun run = MakeRun().AgentTimeoutMinutes(1);
  const TimePoint back = kStart;
  PlanUntil(run, w, back, "w1", NodePhase::kUpdating, 2);
  EXPECT_TRUE(PlanRollout(run, w.View(), back + std::chrono::seconds(25)).actions.empty());
  const RolloutDecision d = PlanRollout(run, w.View(), back + std::chrono::seconds(30));
  ASSERT_EQ(d.actions.size(), 1u);
  EXPECT_EQ(d.actions[0].token, RequestToken(run, "w1", 1, 2));
  EXPECT_EQ(NodeIn(d.status, "w1").attempts, 1) << "the same attempt";
}

// A node that does not come back from its reboot in time fails, and the re-scan round its
// request named is taken back: were it to come back later, its agent must not begin an
// install on a node left for inspection.
TEST(SelfRescanTest, ARescanToComeIsTakenBackWhenTheNodeFails) {
  World w = testing::Workers(2);
  w.never_returns.insert("w1");
  TimePoint now = kStart;
  const crd::UpdateRun run =
      Drive(MakeRun().Order({"w1", "w2"}).MaxFailed(1).RebootTimeoutMinutes(1), w, now);
  ASSERT_EQ(NodeIn(run.status, "w1").phase, NodePhase::kFailed);
  ASSERT_EQ(NodeIn(run.status, "w2").phase, NodePhase::kSucceeded);
  EXPECT_EQ(w.Count(ActionType::kWithdrawRequest, "w1"), 1);
  EXPECT_EQ(w.nodes["w1"].rescan_request_token, "");
  EXPECT_EQ(w.nodes["w1"].request_token, "");
}

TEST(SelfRescanTest, AnAgentOfAnotherVersionIsAskedRoundByRound) {
  World w;
  w.nodes["w1"] = MakeNode("w1").Pods(1).Agent("0.0.1");
  TimePoint now = kStart;
  const crd::UpdateRun run = Drive(MakeRun().SkipUpdateChecks(), w, now);
  ASSERT_EQ(run.status.phase, RunPhase::kSucceeded);
  const auto requests = InstallRequests(w, "w1");
  ASSERT_EQ(requests.size(), 2u) << "the install, then the re-scan";
  for (const auto& a : requests) EXPECT_EQ(a.rescan_token, "") << a.token;
}

// separateReboots asks each planned round with its own plug-in, so neither names the
// re-scan that runs them all; that re-scan, asked for, names the one after it.
TEST(SelfRescanTest, SeparateRebootsRoundsAreEachRequested) {
  World w = testing::Workers(1);
  w.plugin_count = 2;
  TimePoint now = kStart;
  const crd::UpdateRun run =
      Drive(MakeRun().Plugins({"packages", "script"}).SeparateReboots(), w, now);
  ASSERT_EQ(run.status.phase, RunPhase::kSucceeded);
  const auto requests = InstallRequests(w, "w1");
  ASSERT_EQ(requests.size(), 3u) << "a round per plug-in, then the re-scan";
  EXPECT_EQ(requests[0].rescan_token, "");
  EXPECT_EQ(requests[1].rescan_token, "");
  EXPECT_EQ(requests[2].token, RequestToken(run, "w1", 1, 3));
  EXPECT_EQ(requests[2].rescan_token, RequestToken(run, "w1", 1, 4));
}

}  // namespace
}  // namespace kcau::reconcilers
