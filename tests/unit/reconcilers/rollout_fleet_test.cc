// What a real fleet brings that a lab does not: node agents that do not answer (none
// running, crashed, hung), nodes with nothing to install, and runs that could update no
// node at all. Whole runs of the planner over the model cluster, with a chosen clock.
#include <gtest/gtest.h>

#include <functional>

#include "reconcilers/rollout_planner.h"
#include "tests/unit/reconcilers/builders.h"
#include "tests/unit/reconcilers/planner_world.h"

namespace kcau::reconcilers {
namespace {

using crd::NodePhase;
using crd::RunPhase;
using std::chrono::minutes;
using testing::ConditionReason;
using testing::Drive;
using testing::kStart;
using testing::MakeRun;
using testing::NodeIn;
using testing::PlanRollout;
using testing::Workers;
using testing::World;

int ScanRequests(const World& w, const std::string& node = "") {
  int n = 0;
  for (const auto& a : w.log) {
    n += a.type == ActionType::kRequestUpdate && a.scan && (node.empty() || a.node == node);
  }
  return n;
}

std::string Contains(const std::string& text, const std::string& part) {
  return text.find(part) == std::string::npos ? "\"" + part + "\" not in \"" + text + "\"" : "";
}

// ------------------------------------------------------------------- a silent agent

struct SilenceCase {
  std::string name;
  std::function<void(World&)> fault;  // what is wrong with w1
  crd::UpdateRun run;
  NodePhase want;
  int want_attempts;
  std::string want_message;  // part of w1's message
  bool cordoned;             // whether the run ever cordoned w1
  Duration at_least;         // how long w1 took to end, at least
};

void PrintTo(const SilenceCase& c, std::ostream* os) { *os << c.name; }

class AgentSilenceTest : public ::testing::TestWithParam<SilenceCase> {};

// An agent that writes no result at all for a request within agentTimeoutMinutes fails that
// attempt; it is retried within maxRetriesPerNode; then the node fails, saying the agent is
// silent, its request is withdrawn, and a node the run cordoned is uncordoned. Nothing
// waits for ever, and the run goes on with the other node.
TEST_P(AgentSilenceTest, FailsTheAttemptAfterTheTimeoutAndNeverLeavesTheNodeDrained) {
  const SilenceCase& c = GetParam();
  World w = Workers(2);
  c.fault(w);
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(c.run, w, now, 2000);
  const auto& w1 = NodeIn(run.status, "w1");
  EXPECT_EQ(w1.phase, c.want);
  EXPECT_EQ(w1.attempts, c.want_attempts);
  EXPECT_EQ(Contains(w1.message, c.want_message), "");
  EXPECT_EQ(w.Count(ActionType::kCordon, "w1") > 0, c.cordoned);
  EXPECT_FALSE(w.nodes["w1"].unschedulable) << "left cordoned";
  ASSERT_TRUE(w1.finish_time.has_value());
  EXPECT_GE(*w1.finish_time - kStart, c.at_least);
  if (c.want == NodePhase::kFailed) {
    EXPECT_EQ(w.Count(ActionType::kWithdrawRequest, "w1"), 1);
    EXPECT_EQ(w.nodes["w1"].request_token, "") << "a late agent must find nothing to act on";
    EXPECT_EQ(w.reboots["w1"], 0);
  }
  EXPECT_EQ(NodeIn(run.status, "w2").phase, NodePhase::kSucceeded) << "the run went on";
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded) << "within maxFailedNodes";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AgentSilenceTest,
    ::testing::Values(
        SilenceCase{"NoAnswerToTheScanBeforeTheNodeIsTaken",
                    [](World& w) { w.silent_agents.insert("w1"); },
                    MakeRun().Order({"w1"}).MaxRetries(1).MaxFailed(1), NodePhase::kFailed, 2,
                    "no answer from kcau-agent: scan request run/uid-1/w1/2/scan got no result "
                    "within agentTimeoutMinutes=15 (attempt 2 of 2); the node was not cordoned",
                    false, minutes(30)},
        SilenceCase{"NoAnswerToTheInstall", [](World& w) { w.silent_installs.insert("w1"); },
                    MakeRun().Order({"w1"}).MaxRetries(1).MaxFailed(1).AgentTimeoutMinutes(5),
                    NodePhase::kFailed, 2,
                    "no answer from kcau-agent: update request run/uid-1/w1/2 got no result "
                    "within agentTimeoutMinutes=5 (attempt 2 of 2); uncordoned, back in service",
                    true, minutes(10)},
        SilenceCase{"ForceRebootAsksNoScanFirst", [](World& w) { w.silent_agents.insert("w1"); },
                    MakeRun().Order({"w1"}).MaxRetries(0).MaxFailed(1).ForceReboot(),
                    NodePhase::kFailed, 1,
                    "update request run/uid-1/w1/1 got no result within "
                    "agentTimeoutMinutes=15 (attempt 1 of 1); uncordoned",
                    true, minutes(15)},
        SilenceCase{"NoAgentAndChecksSkipped",
                    [](World& w) {
                      w.nodes["w1"].agent_version.clear();
                      w.silent_agents.insert("w1");
                    },
                    MakeRun().Order({"w1"}).MaxRetries(0).MaxFailed(1).SkipUpdateChecks(),
                    NodePhase::kFailed, 1, "scan request run/uid-1/w1/1/scan got no result", false,
                    minutes(15)},
        SilenceCase{"AnsweredOnTheRetry", [](World& w) { w.unanswered_installs["w1"] = 1; },
                    MakeRun().Order({"w1"}).MaxRetries(1).MaxFailed(1).AgentTimeoutMinutes(3),
                    NodePhase::kSucceeded, 2, "4 updates installed", true, minutes(3)}),
    [](const auto& info) { return info.param.name; });

TEST(AgentSilenceTest, ModeScanFailsTheNodeWhoseAgentIsSilent) {
  World w = Workers(2);
  w.scan = true;
  w.silent_agents.insert("w1");
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(MakeRun().Scan().MaxRetries(0).MaxFailed(1), w, now, 2000);
  EXPECT_EQ(NodeIn(run.status, "w1").phase, NodePhase::kFailed);
  EXPECT_EQ(Contains(NodeIn(run.status, "w1").message,
                     "no answer from kcau-agent: scan request run/uid-1/w1/1/scan"),
            "");
  EXPECT_EQ(NodeIn(run.status, "w2").phase, NodePhase::kSucceeded);
}

// The timeout is measured with the injected ElapsedFn (the controller's monotonic clock):
// a step of the wall clock neither fires it nor holds it off.
TEST(AgentSilenceTest, TimeoutFollowsElapsedTimeNotTheWallClock) {
  World w = Workers(1);
  w.silent_installs.insert("w1");
  crd::UpdateRun run = MakeRun().AgentTimeoutMinutes(10).MaxRetries(0);
  testing::StepUntil(run, w, kStart, "w1", NodePhase::kUpdating);
  ASSERT_EQ(NodeIn(run.status, "w1").phase, NodePhase::kUpdating);
  const ElapsedFn nine_minutes = [](TimePoint) { return Duration(minutes(9)); };
  RolloutDecision early =
      PlanRollout(run, w.View(), kStart + std::chrono::hours(5), nine_minutes);  // wall: +5 h
  EXPECT_EQ(NodeIn(early.status, "w1").phase, NodePhase::kUpdating);
  ASSERT_TRUE(early.requeue_after.has_value());
  EXPECT_LE(*early.requeue_after, kAgentPollInterval);
  const ElapsedFn ten_minutes = [](TimePoint) { return Duration(minutes(10)); };
  RolloutDecision late = PlanRollout(run, w.View(), kStart - std::chrono::hours(1), ten_minutes);
  EXPECT_EQ(NodeIn(late.status, "w1").phase, NodePhase::kUncordoned) << "being restored";
  EXPECT_EQ(NodeIn(late.status, "w1").restore_to, NodePhase::kFailed);
  EXPECT_EQ(late.actions,
            (std::vector<NodeAction>{{ActionType::kWithdrawRequest, "w1", "run/uid-1/w1/1"},
                                     {ActionType::kUncordon, "w1", ""}}));
}

// A lost request write is still written again while the agent's time runs.
TEST(AgentSilenceTest, TheRequestIsWrittenAgainWhileWaiting) {
  World w = Workers(1);
  w.silent_installs.insert("w1");
  crd::UpdateRun run = MakeRun();
  testing::StepUntil(run, w, kStart, "w1", NodePhase::kUpdating);
  w.nodes["w1"].request_token.clear();  // the write was lost
  RolloutDecision d = PlanRollout(run, w.View(), kStart + minutes(1));
  ASSERT_EQ(d.actions.size(), 1u);
  EXPECT_EQ(d.actions[0].type, ActionType::kRequestUpdate);
  EXPECT_EQ(d.actions[0].token, NodeIn(run.status, "w1").request_token);
}

// ------------------------------------------------------------ nothing to install

struct NothingCase {
  std::string name;
  std::function<void(World&)> setup;  // w2 has nothing to install
  crd::UpdateRun run;
  NodePhase want;            // w2's end
  std::string want_message;  // w2's message, exactly
  bool disrupted;            // w2 cordoned (and, with forceReboot, rebooted)
  int want_scans;            // scan requests to w2
};

void PrintTo(const NothingCase& c, std::ostream* os) { *os << c.name; }

class NothingToInstallTest : public ::testing::TestWithParam<NothingCase> {};

// A node whose agent's scan finds nothing is Skipped ("no updates apply") without being
// cordoned, drained, hooked or rebooted, as kured and FLUO leave nodes alone that need
// nothing; unless forceReboot (it still reboots) or osRollingUpgrade (the OS image is the
// update): those take every node without asking first.
TEST_P(NothingToInstallTest, IsLeftAloneUnlessTheRunTakesEveryNode) {
  const NothingCase& c = GetParam();
  World w = Workers(3);
  w.installed["w2"] = {0};
  c.setup(w);
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(c.run, w, now, 400);
  const auto& w2 = NodeIn(run.status, "w2");
  EXPECT_EQ(w2.phase, c.want);
  EXPECT_EQ(w2.message, c.want_message);
  EXPECT_EQ(w.Count(ActionType::kCordon, "w2") > 0, c.disrupted);
  if (!c.disrupted) {
    EXPECT_EQ(w.Count(ActionType::kDrain, "w2") + w.Count(ActionType::kRunHook, "w2"), 0);
    EXPECT_EQ(w.reboots["w2"], 0);
    EXPECT_EQ(w2.attempts, 0) << "a scan that answered uses no attempt";
  }
  EXPECT_EQ(ScanRequests(w, "w2"), c.want_scans);
  EXPECT_FALSE(w.nodes["w2"].unschedulable);
  EXPECT_EQ(NodeIn(run.status, "w1").phase, NodePhase::kSucceeded);
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded);
  EXPECT_EQ(ConditionReason(run.status, crd::kConditionSucceeded), "True/Completed");
}

INSTANTIATE_TEST_SUITE_P(
    Cases, NothingToInstallTest,
    ::testing::Values(
        NothingCase{"Skipped", [](World&) {}, MakeRun(), NodePhase::kSkipped, "no updates apply",
                    false, 1},
        NothingCase{"NoPreUpdateHookEither", [](World&) {}, MakeRun().PreHook().PostHook(),
                    NodePhase::kSkipped, "no updates apply", false, 1},
        NothingCase{"ScannedAheadOfOthers", [](World&) {}, MakeRun().MaxUnavailable(2),
                    NodePhase::kSkipped, "no updates apply", false, 1},
        NothingCase{"ForceRebootStillReboots", [](World&) {}, MakeRun().ForceReboot(),
                    NodePhase::kSucceeded, "0 updates installed, rebooted", true, 0},
        NothingCase{"OsRollingUpgradeTakesEveryNode", [](World&) {}, MakeRun().OsRollingUpgrade(),
                    NodePhase::kSucceeded, "0 updates installed, no reboot needed", true, 0},
        NothingCase{"ACordonAnEarlierRunLeftIsReleased",
                    [](World& w) {
                      w.nodes["w2"].unschedulable = true;
                      w.nodes["w2"].cordoned_by = "old/u0";
                    },
                    MakeRun().ForceRecovery(), NodePhase::kSkipped,
                    "no updates apply; uncordoned, back in service", false, 1}),
    [](const auto& info) { return info.param.name; });

// An admin's cordon is never undone, and a scan does not care about it.
TEST(NothingToInstallTest, AnAdminsCordonStays) {
  World w = Workers(2);
  w.installed["w2"] = {0};
  w.nodes["w2"].unschedulable = true;
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(MakeRun(), w, now);
  EXPECT_EQ(NodeIn(run.status, "w2").message, "no updates apply");
  EXPECT_TRUE(w.nodes["w2"].unschedulable);
  EXPECT_EQ(w.Count(ActionType::kUncordon, "w2") + w.Count(ActionType::kCordon, "w2"), 0);
}

// Scans disturb nothing, so they run ahead of the nodes being updated, at most
// maxUnavailable of them at a time, and nodes are still taken in plan order.
TEST(NothingToInstallTest, ScansRunAheadWithinMaxUnavailableAndTheOrderHolds) {
  World w = Workers(8);
  for (const char* n : {"w3", "w4", "w5"}) w.installed[n] = {0};
  crd::UpdateRun run = MakeRun().MaxUnavailable(2);
  TimePoint now = kStart;
  int most_scanning = 0, most_taken = 0;
  bool ahead = false;  // a scan while two nodes were taken
  run = Drive(run, w, now, 400, [&](const crd::UpdateRunStatus& st) {
    int scanning = 0, taken = 0;
    for (const auto& r : st.nodes) {
      scanning += r.phase == NodePhase::kScanning;
      taken += testing::Taken(r.phase);
    }
    most_scanning = std::max(most_scanning, scanning);
    most_taken = std::max(most_taken, taken);
    ahead |= scanning > 0 && taken == 2;
  });
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded);
  EXPECT_EQ(most_taken, 2);
  EXPECT_LE(most_scanning, 2);
  EXPECT_TRUE(ahead) << "scans ran ahead of the nodes being updated";
  std::vector<std::string> cordoned;
  for (const auto& a : w.log) {
    if (a.type == ActionType::kCordon) cordoned.push_back(a.node);
  }
  EXPECT_EQ(cordoned, (std::vector<std::string>{"w1", "w2", "w6", "w7", "w8"}));
  EXPECT_EQ(ConditionReason(run.status, crd::kConditionSucceeded), "True/Completed");
  const crd::Condition* done = FindCondition(run.status.conditions, crd::kConditionSucceeded);
  EXPECT_EQ(done->message, "5 of 8 nodes updated; no updates apply on w3, w4, w5");
}

// A stop while nodes are scanned ahead: they were never taken, so they are simply not
// started.
TEST(NothingToInstallTest, StopSkipsNodesScannedAhead) {
  World w = Workers(3);
  w.never_returns.insert("w1");  // keeps w1 in flight
  crd::UpdateRun run = MakeRun();
  testing::StepUntil(run, w, kStart, "w1", NodePhase::kRebooting);
  ASSERT_EQ(NodeIn(run.status, "w2").phase, NodePhase::kScanning);
  run.spec.stop = true;
  run.spec.fields_present.insert("spec.stop");
  RolloutDecision d = PlanRollout(run, w.View(), kStart);
  EXPECT_EQ(NodeIn(d.status, "w2").phase, NodePhase::kSkipped);
  EXPECT_EQ(NodeIn(d.status, "w2").message, "not started: cancelled by spec.stop");
  EXPECT_FALSE(NodeIn(d.status, "w2").start_time.has_value());
  EXPECT_EQ(NodeIn(d.status, "w1").phase, NodePhase::kRebooting);
}

// ------------------------------------------------------------------- how a run ends

struct OutcomeCase {
  std::string name;
  std::function<void(World&)> setup;
  crd::UpdateRun run;
  std::string want;          // "Phase/Reason"
  std::string want_message;  // part of the run's message
  std::string w1_message;    // part of w1's message
};

void PrintTo(const OutcomeCase& c, std::ostream* os) { *os << c.name; }

class RunOutcomeTest : public ::testing::TestWithParam<OutcomeCase> {};

// A run that updated no node because none could be updated is not a success, whatever the
// failure budget; a run whose nodes simply had nothing to install is. Each node not updated
// says why.
TEST_P(RunOutcomeTest, EndsAsItsNodesSay) {
  const OutcomeCase& c = GetParam();
  World w = Workers(3);
  c.setup(w);
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(c.run, w, now, 400);
  const crd::Condition* progressing =
      FindCondition(run.status.conditions, crd::kConditionProgressing);
  ASSERT_NE(progressing, nullptr);
  EXPECT_EQ(std::string(crd::RunPhaseName(run.status.phase)) + "/" + progressing->reason, c.want);
  EXPECT_EQ(Contains(progressing->message, c.want_message), "");
  EXPECT_EQ(Contains(NodeIn(run.status, "w1").message, c.w1_message), "");
}

void NoAgents(World& w) {
  for (auto& [_, n] : w.nodes) n.agent_version.clear();
}
void NothingAnywhere(World& w) {
  for (const auto& [name, _] : w.nodes) w.installed[name] = {0};
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RunOutcomeTest,
    ::testing::Values(
        OutcomeCase{"NoAgentAnywhere", NoAgents, MakeRun(), "Failed/NoNodeUpdated",
                    "none of the 3 nodes was updated; w1: pre-flight check: no kcau-agent "
                    "answers on this node (kcau.io/agent-version absent)",
                    "pre-flight check: no kcau-agent answers on this node "
                    "(kcau.io/agent-version absent)"},
        OutcomeCase{"NotReadyWithoutAgents",
                    [](World& w) {
                      NoAgents(w);
                      for (auto& [_, n] : w.nodes) n.ready = false;
                    },
                    MakeRun(), "Failed/NoNodeUpdated", "none of the 3 nodes was updated",
                    "not Ready when the run started, and no kcau-agent answers on this node "
                    "(kcau.io/agent-version absent): skipped"},
        OutcomeCase{"PressureWhereTheOthersNeedNothing",
                    [](World& w) {
                      NothingAnywhere(w);
                      w.nodes["w1"].pressure = {"DiskPressure"};
                    },
                    MakeRun(), "Failed/NoNodeUpdated",
                    "none of the 3 nodes was updated (2 had no updates to install); w1: "
                    "pre-flight check: the node reports DiskPressure",
                    "DiskPressure"},
        OutcomeCase{"FailedWithinTheBudgetAndNothingElseToDo",
                    [](World& w) {
                      NothingAnywhere(w);
                      w.installed.erase("w1");
                      w.fail_updates["w1"] = 10;
                    },
                    MakeRun().MaxRetries(0).MaxFailed(1), "Failed/NoNodeUpdated",
                    "w1: update attempt 1 of 1 failed", "package manager exited 100"},
        OutcomeCase{
            "NothingToInstallAnywhere", NothingAnywhere, MakeRun(), "Succeeded/NothingToUpdate",
            "no updates apply on any of the 3 nodes: nothing was changed", "no updates apply"},
        OutcomeCase{"SomeUpdatedOneWithoutAgent",
                    [](World& w) { w.nodes["w1"].agent_version.clear(); }, MakeRun(),
                    "Succeeded/Completed", "2 of 3 nodes updated; skipped: w1",
                    "no kcau-agent answers on this node"},
        OutcomeCase{"ScanWithoutAgents",
                    [](World& w) {
                      NoAgents(w);
                      w.scan = true;
                    },
                    MakeRun().Scan(), "Failed/NoNodeScanned", "none of the 3 nodes was scanned",
                    "no kcau-agent answers on this node"}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace kcau::reconcilers
