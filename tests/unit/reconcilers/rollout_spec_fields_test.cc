// The cmdlet's parameters as UpdateRun fields, one behaviour per test, each driven through
// whole runs of the planner over the model cluster with a chosen clock (no sleeps).
#include <gtest/gtest.h>

#include <algorithm>

#include "crd/updaterun_codec.h"
#include "reconcilers/batch_admission.h"
#include "reconcilers/node_actions.h"
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
using testing::MakeNode;
using testing::MakeRun;
using testing::NodeIn;
using testing::PlanRollout;
using testing::Workers;
using testing::World;

void Add(World& w, const NodeView& n) { w.nodes[n.name] = n; }

bool Has(const std::vector<RunEvent>& events, const std::string& reason) {
  return std::any_of(events.begin(), events.end(),
                     [&](const RunEvent& e) { return e.reason == reason; });
}

// Drives a run and reports the largest number of nodes at once in a phase `counted` says
// (by default: taken out of service, which the scan before a node is taken is not).
int MaxInFlightDuring(crd::UpdateRun& run, World& w,
                      bool (*counted)(crd::NodePhase) = testing::Taken) {
  TimePoint now = kStart;
  int most = 0;
  run = Drive(run, w, now, 400, [&](const crd::UpdateRunStatus& st) {
    most = std::max<int>(most, std::count_if(st.nodes.begin(), st.nodes.end(),
                                             [&](const auto& r) { return counted(r.phase); }));
  });
  return most;
}

void ExpectNobodyCordoned(const World& w) {
  for (const auto& [name, n] : w.nodes) EXPECT_FALSE(n.unschedulable) << name;
}

// ------------------------------------------------------------------ maxUnavailable, quorum

TEST(MaxUnavailableTest, ResolvesCountsAndPercentages) {
  struct Case {
    std::optional<crd::IntOrPercent> value;
    int nodes, want;
  };
  for (const Case& c :
       {Case{std::nullopt, 10, 1}, Case{crd::IntOrPercent{3, false}, 10, 3},
        Case{crd::IntOrPercent{25, true}, 10, 2}, Case{crd::IntOrPercent{5, true}, 10, 1},
        Case{crd::IntOrPercent{100, true}, 1000, 1000}}) {
    crd::UpdateRunSpec spec;
    spec.max_unavailable = c.value;
    EXPECT_EQ(MaxUnavailable(spec, c.nodes), c.want) << c.nodes << " nodes";
  }
}

TEST(RolloutSpecTest, MaxUnavailableKeepsThatManyNodesInFlight) {
  for (auto [mu, percent, want] : {std::tuple{2, false, 2}, std::tuple{50, true, 3}}) {
    SCOPED_TRACE(std::to_string(mu) + (percent ? "%" : ""));
    World w = Workers(6);
    crd::UpdateRun run = MakeRun().MaxUnavailable(mu, percent);
    EXPECT_EQ(MaxInFlightDuring(run, w), want);
    EXPECT_EQ(run.status.phase, RunPhase::kSucceeded);
    for (const auto& [name, _] : w.nodes) EXPECT_EQ(w.reboots[name], 1) << name;
    ExpectNobodyCordoned(w);
  }
}

TEST(RolloutSpecTest, ControlPlaneNodesGoOneAtATimeWhateverMaxUnavailable) {
  World w = Workers(3);
  for (const char* cp : {"cp1", "cp2", "cp3"}) Add(w, MakeNode(cp).ControlPlane());
  crd::UpdateRun run = MakeRun().MaxUnavailable(6);
  TimePoint now = kStart;
  int most_cp = 0;
  run = Drive(run, w, now, 400, [&](const crd::UpdateRunStatus& st) {
    int cp = 0;
    for (const auto& r : st.nodes) {
      cp += testing::Taken(r.phase) && r.name.rfind("cp", 0) == 0 ? 1 : 0;
    }
    most_cp = std::max(most_cp, cp);
  });
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded);
  EXPECT_EQ(most_cp, 1);
}

TEST(RolloutSpecTest, ControlPlaneNodeWaitsWhileAnotherIsNotReady) {
  World w;
  Add(w, MakeNode("cp1").ControlPlane());
  Add(w, MakeNode("cp2").ControlPlane().NotReady());  // not selected, but quorum counts it
  Add(w, MakeNode("w1"));
  w.nodes["cp2"].labels.Set("pool", "other");
  w.nodes["cp1"].labels.Set("pool", "mine");
  w.nodes["w1"].labels.Set("pool", "mine");
  crd::UpdateRun run = MakeRun().Selector("pool", "mine").Order({"cp1", "w1"}).MaxUnavailable(2);
  // Scans disturb nothing: both nodes are scanned whatever the quorum says.
  RolloutDecision d = PlanRollout(run, w.View(), kStart);
  EXPECT_EQ(NodeIn(d.status, "cp1").phase, NodePhase::kScanning);
  EXPECT_EQ(NodeIn(d.status, "w1").phase, NodePhase::kScanning);
  run.status = d.status;
  w.Apply(d.actions);
  d = PlanRollout(run, w.View(), kStart);
  EXPECT_EQ(NodeIn(d.status, "cp1").phase, NodePhase::kScanning) << "not taken";
  EXPECT_EQ(NodeIn(d.status, "w1").phase, NodePhase::kScanning) << "the plan's order is kept";
  EXPECT_TRUE(d.actions.empty());
  const crd::Condition* p = FindCondition(d.status.conditions, crd::kConditionProgressing);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->reason, "Blocked");
  EXPECT_NE(p->message.find("cp2 is NotReady"), std::string::npos) << p->message;
  ASSERT_TRUE(d.requeue_after.has_value());

  // cp2 comes back: cp1 starts, and w1 with it (two may be in flight).
  run.status = d.status;
  w.nodes["cp2"].ready = true;
  d = PlanRollout(run, w.View(), kStart + minutes(1));
  EXPECT_EQ(NodeIn(d.status, "cp1").phase, NodePhase::kDraining);
  EXPECT_EQ(NodeIn(d.status, "w1").phase, NodePhase::kDraining);
  EXPECT_EQ(ConditionReason(d.status, crd::kConditionProgressing), "True/Started");
}

// ----------------------------------------------------------------------------- order

TEST(RolloutSpecTest, SiteAwareOrderFinishesOneSiteBeforeTheNext) {
  World w;
  for (const char* n : {"a1", "a2", "a3"}) Add(w, MakeNode(n).Zone("zone-a"));
  for (const char* n : {"b1", "b2"}) Add(w, MakeNode(n).Zone("zone-b").Pods(5));
  Add(w, MakeNode("c1").Zone("zone-c"));
  crd::UpdateRun run = MakeRun().Sites({"zone-b", "zone-a"}).MaxUnavailable(10);
  RolloutDecision first = PlanRollout(run, w.View(), kStart);
  EXPECT_EQ(first.status.plan, (std::vector<std::string>{"b1", "b2", "a1", "a2", "a3", "c1"}));
  TimePoint now = kStart;
  run = Drive(run, w, now, 400, [&](const crd::UpdateRunStatus& st) {
    std::set<std::string> zones;
    for (const auto& r : st.nodes) {
      if (testing::Taken(r.phase)) zones.insert(r.name.substr(0, 1));
    }
    EXPECT_LE(zones.size(), 1u) << "nodes of two sites in flight at once";
  });
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded);
  EXPECT_LE(*NodeIn(run.status, "b2").finish_time, *NodeIn(run.status, "a1").start_time);
}

TEST(RolloutSpecTest, SiteThatNoSelectedNodeIsInIsRefused) {
  World w;
  Add(w, MakeNode("a1").Zone("zone-a"));
  RolloutDecision d = PlanRollout(MakeRun().Sites({"zone-a", "zone-x"}), w.View(), kStart);
  EXPECT_EQ(d.status.phase, RunPhase::kFailed);
  EXPECT_TRUE(d.actions.empty());
  const crd::Condition* f = FindCondition(d.status.conditions, crd::kConditionFailed);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->reason, "Invalid");
  EXPECT_NE(f->message.find("spec.siteAwareUpdatingOrder[1]"), std::string::npos) << f->message;
  EXPECT_NE(f->message.find("zone-x"), std::string::npos);
}

// ----------------------------------------------------------------- online nodes, whatIf

TEST(RolloutSpecTest, RequireAllNodesOnlineRefusesToStartNamingTheOfflineNodes) {
  World w = Workers(3);
  w.nodes["w2"].ready = false;
  RolloutDecision d = PlanRollout(MakeRun().RequireAllNodesOnline(), w.View(), kStart);
  EXPECT_EQ(d.status.phase, RunPhase::kFailed);
  EXPECT_TRUE(d.actions.empty());
  EXPECT_TRUE(d.terminal);
  const crd::Condition* f = FindCondition(d.status.conditions, crd::kConditionFailed);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->reason, "NodesOffline");
  EXPECT_NE(f->message.find("w2"), std::string::npos) << f->message;
  EXPECT_EQ(f->message.find("w1"), std::string::npos) << f->message;
}

TEST(RolloutSpecTest, WithoutRequireAllNodesOnlineAnOfflineNodeIsSkipped) {
  World w = Workers(3);
  w.nodes["w2"].ready = false;
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(MakeRun(), w, now);
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded);
  EXPECT_EQ(NodeIn(run.status, "w2").phase, NodePhase::kSkipped);
  EXPECT_NE(NodeIn(run.status, "w2").message.find("not Ready"), std::string::npos);
  EXPECT_EQ(w.Count(ActionType::kCordon, "w2"), 0);
  EXPECT_EQ(run.status.nodes_succeeded, 2);
}

TEST(RolloutSpecTest, WhatIfPublishesBatchesAndTouchesNothing) {
  World w = Workers(5);
  Add(w, MakeNode("cp1").ControlPlane());
  Add(w, MakeNode("cp2").ControlPlane());
  Add(w, MakeNode("down").NotReady());
  crd::UpdateRun run = MakeRun().WhatIf().MaxUnavailable(3).Order({"cp1", "cp2"});
  RolloutDecision d = PlanRollout(run, w.View(), kStart);
  EXPECT_TRUE(d.terminal);
  EXPECT_TRUE(d.actions.empty());
  EXPECT_EQ(d.status.phase, RunPhase::kSucceeded);
  EXPECT_EQ(ConditionReason(d.status, crd::kConditionSucceeded), "True/WhatIf");
  // cp2 cannot share a wave with cp1; the wave after cp2 fills up to 3.
  EXPECT_EQ(d.status.batches, (std::vector<std::vector<std::string>>{
                                  {"cp1"}, {"cp2", "w1", "w2"}, {"w3", "w4", "w5"}}));
  EXPECT_EQ(NodeIn(d.status, "w4").message, "would be updated in batch 3 of 3");
  EXPECT_EQ(NodeIn(d.status, "down").phase, NodePhase::kSkipped);
  EXPECT_TRUE(Has(d.events, "RunSucceeded"));
  // A whatIf run is a record like any ended run.
  run.status = d.status;
  EXPECT_TRUE(PlanRollout(run, w.View(), kStart + minutes(5)).actions.empty());
}

// ------------------------------------------------------------ rounds, plug-in options

TEST(RolloutSpecTest, AfterARebootTheNodeIsScannedAgainAndWhatAppearedIsInstalled) {
  World w = Workers(2);
  w.after_reboot["w1"] = 2;  // a restart-time dependency
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(MakeRun().Order({"w1"}), w, now);
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded);
  const auto& w1 = NodeIn(run.status, "w1");
  EXPECT_EQ(w1.updates_installed, 6);
  EXPECT_EQ(w.reboots["w1"], 2);
  EXPECT_EQ(w1.round, 3) << "install, re-scan (2 more, reboot), re-scan (nothing)";
  EXPECT_EQ(w1.attempts, 1);
  EXPECT_EQ(NodeIn(run.status, "w2").round, 2);
  EXPECT_EQ(w.reboots["w2"], 1);
}

TEST(RolloutSpecTest, RescansAreBounded) {
  World w = Workers(1);
  w.endless.insert("w1");
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(MakeRun(), w, now);
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded);
  EXPECT_EQ(NodeIn(run.status, "w1").round, 1 + kMaxRescanRounds);
  EXPECT_EQ(w.reboots["w1"], 1 + kMaxRescanRounds);
}

TEST(RolloutSpecTest, SeparateRebootsRunsOnePluginPerRoundEachWithItsReboot) {
  World w = Workers(1);
  w.plugin_count = 2;
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(MakeRun().Plugins({"packages", "script"}).SeparateReboots(), w, now);
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded);
  std::vector<int> requested;
  for (const auto& a : w.log) {
    if (a.type == ActionType::kRequestUpdate && !a.scan) requested.push_back(a.plugin);
  }
  EXPECT_EQ(requested, (std::vector<int>{0, 1, -1})) << "packages, script, then a re-scan";
  EXPECT_EQ(w.reboots["w1"], 2);
  EXPECT_EQ(NodeIn(run.status, "w1").updates_installed, 8);
  EXPECT_EQ(ConditionReason(run.status, crd::kConditionWarning), "<none>");
}

TEST(RolloutSpecTest, PluginOptionsWithASinglePluginWarnAsTheCmdletDoes) {
  World w = Workers(1);
  RolloutDecision d = PlanRollout(MakeRun().SeparateReboots(), w.View(), kStart);
  EXPECT_EQ(ConditionReason(d.status, crd::kConditionWarning), "True/SinglePlugin");
  EXPECT_EQ(d.status.phase, RunPhase::kRunning) << "a warning, not a refusal";
}

// whatIf shows what a real run would: its warnings too (it left SinglePlugin out).
TEST(RolloutSpecTest, WhatIfGivesTheSinglePluginWarningARealRunGives) {
  World w = Workers(1);
  RolloutDecision d = PlanRollout(MakeRun().SeparateReboots().WhatIf(), w.View(), kStart);
  EXPECT_EQ(ConditionReason(d.status, crd::kConditionWarning), "True/SinglePlugin");
  EXPECT_FALSE(d.status.batches.empty()) << "still a whatIf plan";
  EXPECT_TRUE(d.actions.empty()) << "whatIf touches nothing";
}

// ------------------------------------------------------------------ pre-flight checks

TEST(RolloutSpecTest, PreflightChecksSkipNodesWithoutAgentOrUnderPressure) {
  World w = Workers(1);
  Add(w, MakeNode("lonely").NoAgent());
  Add(w, MakeNode("full-disk").Pressure("DiskPressure"));
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(MakeRun(), w, now);
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded);
  EXPECT_EQ(NodeIn(run.status, "w1").phase, NodePhase::kSucceeded);
  const auto& lonely = NodeIn(run.status, "lonely");
  EXPECT_EQ(lonely.phase, NodePhase::kSkipped);
  EXPECT_NE(
      lonely.message.find("no kcau-agent answers on this node (kcau.io/agent-version absent)"),
      std::string::npos)
      << lonely.message;
  const auto& full = NodeIn(run.status, "full-disk");
  EXPECT_EQ(full.phase, NodePhase::kSkipped);
  EXPECT_NE(full.message.find("DiskPressure"), std::string::npos) << full.message;
  EXPECT_EQ(w.Count(ActionType::kCordon, "lonely") + w.Count(ActionType::kCordon, "full-disk"), 0);
}

TEST(RolloutSpecTest, AnOldAgentIsSkippedUnlessForceSelfUpdateRollsThemFirst) {
  World w = Workers(1);
  Add(w, MakeNode("old").Agent("0.0.9"));
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(MakeRun(), w, now);
  EXPECT_EQ(NodeIn(run.status, "old").phase, NodePhase::kSkipped);
  EXPECT_NE(NodeIn(run.status, "old").message.find("runs 0.0.9"), std::string::npos);
  EXPECT_EQ(w.Count(ActionType::kRollAgents), 0);

  w = Workers(1);
  Add(w, MakeNode("old").Agent("0.0.9"));
  crd::UpdateRun rolling = MakeRun();
  rolling.spec.force_self_update = true;
  rolling.spec.fields_present.insert("spec.forceSelfUpdate");
  RolloutDecision first = PlanRollout(rolling, w.View(), kStart);
  EXPECT_EQ(first.actions, (std::vector<NodeAction>{{ActionType::kRollAgents, "", KCAU_VERSION}}))
      << "no node starts before the agents run the controller's version";
  EXPECT_EQ(ConditionReason(first.status, crd::kConditionProgressing), "True/UpdatingAgents");
  now = kStart;
  run = Drive(rolling, w, now);
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded);
  EXPECT_EQ(NodeIn(run.status, "old").phase, NodePhase::kSucceeded);
  EXPECT_EQ(w.nodes["old"].agent_version, KCAU_VERSION);
}

// The version the agents must run is the one the controller passes in, not one the planner
// knows by itself.
TEST(RolloutSpecTest, AgentsAreCheckedAgainstTheControllerVersionPassedIn) {
  World w = Workers(1);
  const ElapsedFn no_time = [](TimePoint) { return Duration::zero(); };
  RolloutDecision d = reconcilers::PlanRollout(MakeRun(), w.View(), kStart, no_time, "9.9.9");
  EXPECT_EQ(NodeIn(d.status, "w1").phase, NodePhase::kSkipped);
  EXPECT_NE(NodeIn(d.status, "w1")
                .message.find(std::string("its agent runs ") + KCAU_VERSION +
                              ", not the controller's 9.9.9"),
            std::string::npos)
      << NodeIn(d.status, "w1").message;

  crd::UpdateRun rolling = MakeRun();
  rolling.spec.force_self_update = true;
  rolling.spec.fields_present.insert("spec.forceSelfUpdate");
  d = reconcilers::PlanRollout(rolling, w.View(), kStart, no_time, "9.9.9");
  EXPECT_EQ(d.actions, (std::vector<NodeAction>{{ActionType::kRollAgents, "", "9.9.9"}}));
}

TEST(RolloutSpecTest, SkipUpdateChecksTakesThemAnyway) {
  World w;
  Add(w, MakeNode("full-disk").Pressure("DiskPressure"));
  TimePoint now = kStart;
  crd::UpdateRun run = MakeRun();
  run.spec.skip_update_checks = true;
  run.spec.fields_present.insert("spec.skipUpdateChecks");
  run = Drive(run, w, now);
  EXPECT_EQ(NodeIn(run.status, "full-disk").phase, NodePhase::kSucceeded);
  EXPECT_EQ(w.reboots["full-disk"], 1);
}

// --------------------------------------------------------------------------- reboots

TEST(RebootModeTest, CmdletParametersBecomeTheAgentsRebootMode) {
  struct Case {
    std::optional<crd::RebootMode> mode;
    std::optional<bool> attempt_soft;
    const char* want;
  };
  for (const Case& c : {Case{std::nullopt, std::nullopt, "full"}, Case{std::nullopt, true, "soft"},
                        Case{crd::RebootMode::kOrchestratorDefault, true, "soft"},
                        Case{crd::RebootMode::kFullReboot, true, "full"},
                        Case{crd::RebootMode::kSoftReboot, std::nullopt, "soft"},
                        Case{crd::RebootMode::kPluginCustomReboot, false, "plugin"}}) {
    crd::UpdateRunSpec spec;
    spec.reboot_mode = c.mode;
    spec.attempt_soft_reboot = c.attempt_soft;
    EXPECT_EQ(AgentRebootMode(spec), c.want);
  }
}

TEST(RolloutSpecTest, HowTheAgentRebootedIsRecorded) {
  World w = Workers(1);
  w.reboot_kind = "full";
  w.reboot_message = "soft reboot not possible: a firmware update needs a full one";
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(MakeRun(), w, now);
  EXPECT_EQ(NodeIn(run.status, "w1").reboot_kind,
            "full (soft reboot not possible: a firmware update needs a full one)");
  w = Workers(1);
  w.reboot_kind = "soft";
  now = kStart;
  run = Drive(MakeRun(), w, now);
  EXPECT_EQ(NodeIn(run.status, "w1").message, "4 updates installed, rebooted (soft reboot)");
}

// ------------------------------------------------------------------------ reporting

// Drives `run` to its end and returns the messages of its Events with `reason`.
std::vector<std::string> EventMessages(crd::UpdateRun run, World& w, const std::string& reason) {
  TimePoint now = kStart;
  std::vector<std::string> messages;
  for (int i = 0; i < 50; ++i) {
    RolloutDecision d = PlanRollout(run, w.View(), now);
    run.status = d.status;
    for (const auto& e : d.events) {
      if (e.reason == reason) messages.push_back(e.message);
    }
    if (d.terminal) break;
    w.Apply(d.actions);
    now += std::chrono::seconds(1);
  }
  return messages;
}

TEST(RolloutSpecTest, EveryNodeTransitionIsAnEvent) {
  World w = Workers(1, 1);
  EXPECT_EQ(EventMessages(MakeRun(), w, "NodeStatusNotification"),
            (std::vector<std::string>{"w1: Scanning", "w1: Draining", "w1: Updating",
                                      "w1: Rebooting", "w1: Verifying", "w1: Updating",
                                      "w1: Verifying", "w1: Uncordoned", "w1: Succeeded"}))
      << "the first Scanning is the scan before the node is taken; no Cordoned, since a node "
         "drained is Draining from its cordon on; the second Updating/Verifying the re-scan "
         "after the reboot";
  crd::UpdateRun no_drain = MakeRun();
  no_drain.spec.drain = crd::DrainMode::kSkip;
  World fresh = Workers(1, 1);
  const auto said = EventMessages(no_drain, fresh, "NodeStatusNotification");
  EXPECT_NE(std::find(said.begin(), said.end(), "w1: Cordoned"), said.end())
      << "drain Skip: cordoned, then updated";
  EXPECT_EQ(std::find(said.begin(), said.end(), "w1: Draining"), said.end());
}

TEST(RolloutSpecTest, InstalledUpdatesAreReportedByTitleInTheNodesOutcomeEvent) {
  World w = Workers(1);
  EXPECT_EQ(EventMessages(MakeRun(), w, "NodeUpdated"),
            (std::vector<std::string>{
                "w1: 4 updates installed, rebooted; installed: fix 1, fix 2, fix 3, fix 4"}))
      << "once: the re-scan installed nothing";
  EXPECT_TRUE(EventMessages(MakeRun(), w, "UpdatesInstalled").empty())
      << "no Event of its own: one write per node saved";
}

// Plans w1 into Updating, its agent answering the scan but not yet the install request.
void UpdatingUnanswered(crd::UpdateRun& run, World& w) {
  for (int i = 0; i < 10; ++i) {
    if (!run.status.nodes.empty() && NodeIn(run.status, "w1").phase == NodePhase::kUpdating) break;
    RolloutDecision d = PlanRollout(run, w.View(), kStart);
    run.status = d.status;
    for (const auto& a : d.actions) {
      if (a.type != ActionType::kRequestUpdate || a.scan) w.Apply({a});
    }
  }
  ASSERT_EQ(NodeIn(run.status, "w1").phase, NodePhase::kUpdating);
}

TEST(RolloutSpecTest, StagedUpdatesAreReportedWithTheInstalledOnes) {
  World w = Workers(1);
  crd::UpdateRun run = MakeRun();
  ASSERT_NO_FATAL_FAILURE(UpdatingUnanswered(run, w));
  agent::AgentResult staging{NodeIn(run.status, "w1").request_token, agent::AgentState::kInstalling,
                             false, 0, ""};
  staging.staged = {"openssl 3.0.15", "libc6 2.36"};
  w.nodes["w1"].agent_result = staging;
  w.nodes["w1"].request_token = staging.token;
  RolloutDecision first = PlanRollout(run, w.View(), kStart);
  EXPECT_TRUE(first.events.empty()) << "no Event of its own: one write per node saved";
  EXPECT_TRUE(NodeIn(first.status, "w1").staged);
  run.status = first.status;
  agent::AgentResult installed{staging.token, agent::AgentState::kInstalled, false, 2, ""};
  installed.titles = {"openssl 3.0.15", "libc6 2.36"};
  w.nodes["w1"].agent_result = installed;
  RolloutDecision second = PlanRollout(run, w.View(), kStart);
  for (const auto& e : second.events) {
    EXPECT_EQ(e.message.find("openssl"), std::string::npos)
        << e.reason << ": " << e.message << ": said when the node ends, not now";
  }
  EXPECT_EQ(NodeIn(second.status, "w1").installed,
            "installed (staged first): openssl 3.0.15, libc6 2.36")
      << "kept in status while the node is in flight, so a restarted controller still says it";
  auto decoded = crd::DecodeUpdateRunStatus(crd::EncodeUpdateRunStatus(second.status));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, second.status);
}

// No pass saw the agent installing (a quick install between two passes): the round's
// result says what was staged.
TEST(RolloutSpecTest, StagedUpdatesAreReportedFromTheResultAlone) {
  World w = Workers(1);
  crd::UpdateRun run = MakeRun();
  ASSERT_NO_FATAL_FAILURE(UpdatingUnanswered(run, w));
  agent::AgentResult installed{NodeIn(run.status, "w1").request_token,
                               agent::AgentState::kInstalled, false, 2, ""};
  installed.titles = {"openssl 3.0.15", "libc6 2.36"};
  installed.staged = installed.titles;
  w.nodes["w1"].agent_result = installed;
  w.nodes["w1"].request_token = installed.token;
  RolloutDecision d = PlanRollout(run, w.View(), kStart);
  EXPECT_EQ(NodeIn(d.status, "w1").installed,
            "installed (staged first): openssl 3.0.15, libc6 2.36");
}

// ----------------------------------------------------------------------------- hooks

size_t FirstIndex(const World& w, ActionType type, const std::string& node,
                  const std::string& hook = "") {
  for (size_t i = 0; i < w.log.size(); ++i) {
    const auto& a = w.log[i];
    if (a.type == type && a.node == node && (hook.empty() || a.hook == hook)) return i;
  }
  return w.log.size();
}

TEST(RolloutSpecTest, HooksRunBeforeCordonAndAfterUncordon) {
  World w = Workers(2);
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(MakeRun().Order({"w1"}).PreHook().PostHook(), w, now);
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded);
  const size_t scan = FirstIndex(w, ActionType::kRequestUpdate, "w1");
  const size_t pre = FirstIndex(w, ActionType::kRunHook, "w1", "pre");
  const size_t cordon = FirstIndex(w, ActionType::kCordon, "w1");
  size_t update = w.log.size();
  for (size_t i = w.log.size(); i-- > 0;) {
    const auto& a = w.log[i];
    if (a.type == ActionType::kRequestUpdate && a.node == "w1" && !a.scan) update = i;
  }
  ASSERT_LT(scan, w.log.size());
  EXPECT_TRUE(w.log[scan].scan) << "the scan comes before the pre-update hook";
  EXPECT_LT(scan, pre);
  const size_t uncordon = FirstIndex(w, ActionType::kUncordon, "w1");
  const size_t post = FirstIndex(w, ActionType::kRunHook, "w1", "post");
  EXPECT_LT(pre, cordon);
  EXPECT_LT(cordon, update);
  EXPECT_LT(update, uncordon);
  EXPECT_LT(uncordon, post);
  ASSERT_LT(post, w.log.size());
  EXPECT_EQ(NodeIn(run.status, "w1").attempts, 1) << "hook and update: one attempt";
  EXPECT_EQ(w.reboots["w1"], 1);
}

// A stop in the very pass in which a node's pre-update hook ends: the cordon and the drain
// that pass decided for the node are not made, and it ends Skipped, in service.
TEST(RolloutSpecTest, AStopAsThePreHookEndsMakesNoCordon) {
  World w = Workers(2);
  crd::UpdateRun run = MakeRun().Order({"w1"}).PreHook();
  TimePoint now = kStart;
  for (int pass = 0; pass < 10; ++pass) {
    RolloutDecision d = PlanRollout(run, w.View(), now);
    run.status = d.status;
    w.Apply(d.actions);  // the hook, once asked for, ends well
    now += std::chrono::seconds(1);
    if (NodeIn(run.status, "w1").phase == NodePhase::kPreUpdateHook) break;
  }
  ASSERT_EQ(NodeIn(run.status, "w1").phase, NodePhase::kPreUpdateHook);
  run.spec.stop = true;
  RolloutDecision d = PlanRollout(run, w.View(), now);
  EXPECT_EQ(NodeIn(d.status, "w1").phase, NodePhase::kSkipped);
  for (const NodeAction& a : d.actions) {
    EXPECT_FALSE(a.node == "w1" && (a.type == ActionType::kCordon || a.type == ActionType::kDrain))
        << "a cordon or drain of w1 after its status says Skipped";
  }
}

TEST(RolloutSpecTest, FailingPreHookMeansTheNodeIsNotUpdatedAndCountsAttempts) {
  World w = Workers(2);
  w.fail_hooks["w1"] = 10;
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(MakeRun().Order({"w1"}).PreHook().MaxRetries(1).MaxFailed(1), w, now);
  const auto& w1 = NodeIn(run.status, "w1");
  EXPECT_EQ(w1.phase, NodePhase::kFailed);
  EXPECT_EQ(w1.attempts, 2);
  EXPECT_NE(w1.message.find("preUpdateHook failed: exit code 3"), std::string::npos) << w1.message;
  EXPECT_NE(w1.message.find("not updated"), std::string::npos);
  EXPECT_EQ(w.Count(ActionType::kCordon, "w1"), 0) << "the hook runs before the cordon";
  EXPECT_EQ(w.Count(ActionType::kRunHook, "w1"), 2);
  EXPECT_EQ(w.reboots["w1"], 0);
  EXPECT_EQ(NodeIn(run.status, "w2").phase, NodePhase::kSucceeded);
  ExpectNobodyCordoned(w);
}

TEST(RolloutSpecTest, PreHookRetriedThenUpdateSharesItsAttempt) {
  World w = Workers(1);
  w.fail_hooks["w1"] = 1;
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(MakeRun().PreHook(), w, now);
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded);
  EXPECT_EQ(NodeIn(run.status, "w1").attempts, 2);
}

TEST(RolloutSpecTest, SilentPreHookTimesOut) {
  World w = Workers(1);
  w.silent_hooks.insert("w1");
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(MakeRun().PreHook(30).MaxRetries(0), w, now, 400);
  const auto& w1 = NodeIn(run.status, "w1");
  EXPECT_EQ(w1.phase, NodePhase::kFailed);
  EXPECT_NE(w1.message.find("did not finish within 30 s"), std::string::npos) << w1.message;
  EXPECT_GE(now - kStart, std::chrono::seconds(30));
}

TEST(RolloutSpecTest, FailingPostHookFailsTheNodeButItStaysInService) {
  World w = Workers(1);
  TimePoint now = kStart;
  crd::UpdateRun run = MakeRun().PostHook().MaxRetries(0);
  w.fail_hooks["w1"] = 1;
  run = Drive(run, w, now);
  const auto& w1 = NodeIn(run.status, "w1");
  EXPECT_EQ(w1.phase, NodePhase::kFailed);
  EXPECT_NE(w1.message.find("back in service"), std::string::npos) << w1.message;
  EXPECT_EQ(w.reboots["w1"], 1);
  ExpectNobodyCordoned(w);
}

// ------------------------------------------------------------------- mode: Scan

TEST(RolloutSpecTest, ScanReportsWhatAppliesOnEveryNodeAndChangesNothing) {
  World w = Workers(3, 2);
  w.nodes["w1"].unschedulable = true;  // an admin's cordon: a scan does not care
  w.scan = true;
  crd::UpdateRun run = MakeRun().Scan();
  const int most = MaxInFlightDuring(run, w, testing::InFlight);
  EXPECT_EQ(most, 3) << "a scan disturbs nothing: every node at once";
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded);
  EXPECT_EQ(ConditionReason(run.status, crd::kConditionSucceeded), "True/ScanCompleted");
  for (const auto& [name, n] : w.nodes) {
    SCOPED_TRACE(name);
    EXPECT_EQ(NodeIn(run.status, name).updates_found, 2);
    EXPECT_EQ(NodeIn(run.status, name).phase, NodePhase::kSucceeded);
    EXPECT_EQ(w.reboots[name], 0);
    EXPECT_EQ(n.evictable_pods, 2) << "nothing evicted";
  }
  EXPECT_EQ(w.Count(ActionType::kCordon) + w.Count(ActionType::kUncordon) +
                w.Count(ActionType::kDrain) + w.Count(ActionType::kForceDrain),
            0);
  EXPECT_EQ(w.Count(ActionType::kRequestUpdate), 3);
  EXPECT_TRUE(w.nodes["w1"].unschedulable);
  const crd::Condition* done = FindCondition(run.status.conditions, crd::kConditionSucceeded);
  EXPECT_NE(done->message.find("6 updates apply on 3 node(s)"), std::string::npos) << done->message;
}

// ---------------------------------------------------------------------------- drain

TEST(RolloutSpecTest, DrainBlockedPastTheTimeoutFailsTheNodeAndUncordonsIt) {
  World w = Workers(3);
  w.nodes["w1"].evictable_pods = 4;
  w.pdb_protected["w1"] = 2;  // two pods a budget keeps
  crd::UpdateRun run = MakeRun().Order({"w1"}).DrainTimeoutMinutes(10).MaxFailed(1);
  TimePoint now = kStart;
  // Still draining just before the timeout; evictions are retried, no attempt counted.
  for (int i = 0; i < 1000 && now < kStart + minutes(9); ++i) {
    RolloutDecision d = PlanRollout(run, w.View(), now);
    run.status = d.status;
    w.Apply(d.actions);
    now += d.requeue_after.value_or(std::chrono::seconds(1));
  }
  EXPECT_EQ(NodeIn(run.status, "w1").phase, NodePhase::kDraining);
  EXPECT_EQ(NodeIn(run.status, "w1").attempts, 0);
  EXPECT_GT(w.Count(ActionType::kDrain, "w1"), 10);
  run = Drive(run, w, now, 1000);
  const auto& w1 = NodeIn(run.status, "w1");
  EXPECT_EQ(w1.phase, NodePhase::kFailed);
  EXPECT_NE(w1.message.find("drainTimeoutMinutes=10"), std::string::npos) << w1.message;
  EXPECT_NE(w1.message.find("2 pod(s) left"), std::string::npos) << w1.message;
  EXPECT_NE(w1.message.find("uncordoned"), std::string::npos) << w1.message;
  EXPECT_EQ(w.reboots["w1"], 0);
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded);  // within maxFailedNodes=1
  EXPECT_EQ(NodeIn(run.status, "w2").phase, NodePhase::kSucceeded);
  ExpectNobodyCordoned(w);
}

TEST(RolloutSpecTest, DrainForceDeletesWhatABudgetProtectsAfterTheTimeout) {
  World w = Workers(2);
  w.nodes["w1"].evictable_pods = 3;
  w.pdb_protected["w1"] = 1;
  crd::UpdateRun run = MakeRun().Order({"w1"}).Drain(crd::DrainMode::kForce).DrainTimeoutMinutes(5);
  TimePoint now = kStart;
  std::vector<RunEvent> events;
  TimePoint forced_at{};
  for (int i = 0; i < 200; ++i) {
    RolloutDecision d = PlanRollout(run, w.View(), now);
    run.status = d.status;
    events.insert(events.end(), d.events.begin(), d.events.end());
    for (const auto& a : d.actions) {
      if (a.type == ActionType::kForceDrain && forced_at == TimePoint{}) forced_at = now;
    }
    if (d.terminal) break;
    w.Apply(d.actions);
    now += d.requeue_after.value_or(std::chrono::seconds(1));
  }
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded);
  EXPECT_GE(forced_at - kStart, minutes(5));
  EXPECT_EQ(std::count_if(events.begin(), events.end(),
                          [](const RunEvent& e) { return e.reason == "DrainForced"; }),
            1);
  EXPECT_EQ(w.Count(ActionType::kForceDrain, "w2"), 0) << "w2 drained without force";
}

TEST(RolloutSpecTest, DrainSkipCordonsOnly) {
  World w = Workers(2, 3);
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(MakeRun().Drain(crd::DrainMode::kSkip), w, now);
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded);
  EXPECT_EQ(w.Count(ActionType::kDrain) + w.Count(ActionType::kForceDrain), 0);
  EXPECT_EQ(w.Count(ActionType::kCordon), 2);
  ExpectNobodyCordoned(w);
}

// ------------------------------------------------------------------ stop, time limits

TEST(RolloutSpecTest, StopAfterBringsBackTheDrainingNodeAndSkipsTheRest) {
  World w = Workers(3);
  w.nodes["w1"].evictable_pods = 2;
  w.pdb_protected["w1"] = 2;  // blocked for good: the run can only stop
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(MakeRun().Order({"w1"}).StopAfter(minutes(30)), w, now, 2000);
  EXPECT_EQ(run.status.phase, RunPhase::kFailed);
  EXPECT_EQ(ConditionReason(run.status, crd::kConditionFailed), "True/StopAfterReached");
  EXPECT_GE(now - kStart, minutes(30));
  const auto& w1 = NodeIn(run.status, "w1");
  EXPECT_EQ(w1.phase, NodePhase::kSkipped);
  EXPECT_NE(w1.message.find("stopAfter 30m"), std::string::npos) << w1.message;
  EXPECT_NE(w1.message.find("uncordoned"), std::string::npos) << w1.message;
  EXPECT_FALSE(w1.restore_to.has_value());
  EXPECT_EQ(NodeIn(run.status, "w2").phase, NodePhase::kSkipped);
  EXPECT_EQ(w.Count(ActionType::kCordon, "w2"), 0);
  ExpectNobodyCordoned(w);
}

TEST(RolloutSpecTest, StopLetsTheUpdatingNodeFinishAndStartsNoOther) {
  World w = Workers(3);
  w.never_returns.insert("w1");  // keep it in Rebooting while the stop arrives
  crd::UpdateRun run = MakeRun().Order({"w1"}).MaxUnavailable(1);
  TimePoint now = kStart;
  testing::StepUntil(run, w, now, "w1", NodePhase::kRebooting);
  ASSERT_EQ(NodeIn(run.status, "w1").phase, NodePhase::kRebooting);
  run.spec.stop = true;
  run.spec.fields_present.insert("spec.stop");
  RolloutDecision d = PlanRollout(run, w.View(), now);
  EXPECT_EQ(NodeIn(d.status, "w1").phase, NodePhase::kRebooting) << "an install is never cut";
  EXPECT_EQ(NodeIn(d.status, "w2").phase, NodePhase::kSkipped);
  EXPECT_EQ(ConditionReason(d.status, crd::kConditionProgressing), "True/Stopping");
  EXPECT_FALSE(d.terminal);
  // The node comes back: it finishes, uncordoned, and the run ends Cancelled.
  run.status = d.status;
  w.nodes["w1"].ready = true;
  w.nodes["w1"].boot_id = "w1-boot-2";
  run = Drive(run, w, now);
  EXPECT_EQ(NodeIn(run.status, "w1").phase, NodePhase::kSucceeded);
  EXPECT_EQ(ConditionReason(run.status, crd::kConditionFailed), "True/Cancelled");
  EXPECT_EQ(w.Count(ActionType::kCordon, "w2") + w.Count(ActionType::kCordon, "w3"), 0);
  ExpectNobodyCordoned(w);
}

TEST(RolloutSpecTest, WarnAfterSetsAWarningOnceAndTheRunGoesOn) {
  World w = Workers(3);
  w.nodes["w1"].evictable_pods = 1;
  w.pdb_protected["w1"] = 1;
  crd::UpdateRun run = MakeRun().Order({"w1"}).WarnAfter(minutes(10));
  TimePoint now = kStart;
  int warnings = 0;
  for (int i = 0; i < 1000 && now < kStart + minutes(20); ++i) {
    RolloutDecision d = PlanRollout(run, w.View(), now);
    run.status = d.status;
    for (const auto& e : d.events) warnings += e.reason == "WarnAfterExceeded" ? 1 : 0;
    if (now < kStart + minutes(10)) {
      ASSERT_TRUE(d.requeue_after.has_value());
      EXPECT_LE(now + *d.requeue_after, kStart + minutes(10)) << "wakes for the deadline";
    }
    w.Apply(d.actions);
    now += d.requeue_after.value_or(std::chrono::seconds(1));
  }
  EXPECT_EQ(warnings, 1);
  EXPECT_EQ(ConditionReason(run.status, crd::kConditionWarning), "True/WarnAfterExceeded");
  EXPECT_EQ(run.status.phase, RunPhase::kRunning);
}

TEST(RolloutSpecTest, FailureBudgetSpentWhileOthersDrainBringsThemBack) {
  World w = Workers(4);
  w.fail_updates["w1"] = 10;
  w.nodes["w2"].evictable_pods = 1;
  w.pdb_protected["w2"] = 1;  // still draining when w1 fails
  TimePoint now = kStart;
  crd::UpdateRun run =
      Drive(MakeRun().Order({"w1", "w2"}).MaxUnavailable(2).MaxFailed(0).MaxRetries(0), w, now);
  EXPECT_EQ(run.status.phase, RunPhase::kFailed);
  EXPECT_EQ(ConditionReason(run.status, crd::kConditionFailed), "True/TooManyFailedNodes");
  EXPECT_EQ(NodeIn(run.status, "w1").phase, NodePhase::kFailed);
  EXPECT_EQ(NodeIn(run.status, "w2").phase, NodePhase::kSkipped);
  EXPECT_FALSE(w.nodes["w2"].unschedulable) << "a node not updated is put back in service";
  EXPECT_TRUE(w.nodes["w1"].unschedulable) << "the failed node stays cordoned for inspection";
  EXPECT_NE(NodeIn(run.status, "w1").message.find("left cordoned"), std::string::npos);
  EXPECT_EQ(w.Count(ActionType::kCordon, "w3"), 0);
}

// --------------------------------------------------------------------------- failback

TEST(RolloutSpecTest, NoFailbackLeavesUpdatedNodesCordonedAndSaysSo) {
  World w = Workers(2);
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(MakeRun().Failback(crd::FailbackMode::kNoFailback), w, now);
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded);
  for (const auto& [name, n] : w.nodes) {
    EXPECT_TRUE(n.unschedulable) << name;
    EXPECT_NE(NodeIn(run.status, name).message.find("kubectl uncordon " + name), std::string::npos);
  }
  EXPECT_EQ(w.Count(ActionType::kUncordon), 0);
}

TEST(RolloutSpecTest, FailbackPolicyAsksForWorkloadsBackAfterEachUncordon) {
  World w = Workers(2);
  w.nodes["w2"].unschedulable = true;  // an admin's: never uncordoned, so nothing comes back
  TimePoint now = kStart;
  crd::UpdateRun run = Drive(MakeRun().Failback(crd::FailbackMode::kPolicy), w, now);
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded);
  EXPECT_EQ(w.Count(ActionType::kFailback, "w1"), 1);
  EXPECT_LT(FirstIndex(w, ActionType::kUncordon, "w1"), FirstIndex(w, ActionType::kFailback, "w1"));
  EXPECT_EQ(w.Count(ActionType::kFailback, "w2"), 0);
  World immediate = Workers(1);
  now = kStart;
  Drive(MakeRun(), immediate, now);
  EXPECT_EQ(immediate.Count(ActionType::kFailback), 0);
}

// Drive re-plans every pass and expects the same status: here with batches, a forced drain
// and both timers.
TEST(RolloutSpecTest, ReplanningIsIdempotentWithBatchesAndTimers) {
  World w = Workers(6);
  w.nodes["w3"].evictable_pods = 2;
  w.pdb_protected["w3"] = 1;
  crd::UpdateRun run = MakeRun()
                           .MaxUnavailable(3)
                           .Drain(crd::DrainMode::kForce)
                           .DrainTimeoutMinutes(2)
                           .WarnAfter(minutes(1))
                           .StopAfter(minutes(60));
  TimePoint now = kStart;
  run = Drive(run, w, now, 400);
  EXPECT_EQ(run.status.phase, RunPhase::kSucceeded) << ::testing::PrintToString(run.status);
}

}  // namespace
}  // namespace kcau::reconcilers
