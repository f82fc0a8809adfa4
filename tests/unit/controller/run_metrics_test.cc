// The controller's RunObserver: what a reconcile pass reports becomes kcau's metrics, counted
// on transitions only, under the names dashboards read.
#include "controller/run_metrics.h"

#include <gtest/gtest.h>

#include <prometheus/registry.h>

#include "metrics/kcau_metrics.h"
#include "metrics/metrics_text.h"
#include "tests/unit/metrics/sample_value.h"

namespace kcau::controller {
namespace {

using metrics::HistogramCount;
using metrics::HistogramSum;
using metrics::SampleValue;

const TimePoint kT0 = TimePoint{} + std::chrono::seconds(1'700'000'000);

crd::NodeResult Node(const std::string& name, crd::NodePhase phase, bool rebooted = false) {
  crd::NodeResult r;
  r.name = name;
  r.phase = phase;
  r.rebooted = rebooted;
  return r;
}

crd::NodeResult At(crd::NodeResult r, int phase_began_s) {
  r.phase_time = kT0 + std::chrono::seconds(phase_began_s);
  return r;
}

class RunMetricsTest : public ::testing::Test {
 protected:
  double Value(const std::string& name, const prometheus::Labels& labels = {}) {
    return SampleValue(registry_, name, labels).value_or(-1);
  }

  prometheus::Registry registry_;
  metrics::KcauMetrics metrics_{registry_, "test"};
  RunMetrics observer_{metrics_};
};

TEST_F(RunMetricsTest, CountsTransitionsOnceAndNodesByPhase) {
  crd::UpdateRunStatus before;
  before.revision = 4;
  before.nodes = {Node("n1", crd::NodePhase::kRebooting), Node("n2", crd::NodePhase::kVerifying),
                  Node("n3", crd::NodePhase::kSucceeded, true)};
  reconcilers::RolloutDecision decision;
  decision.status = before;
  decision.status.nodes = {Node("n1", crd::NodePhase::kSucceeded, true),
                           Node("n2", crd::NodePhase::kFailed),
                           Node("n3", crd::NodePhase::kSucceeded, true)};
  reconcilers::ActionOutcome acted;
  acted.pods_evicted = 2;
  acted.evictions_blocked = 1;
  acted.pods_deleted = 3;
  acted.pods_failed_back = 4;
  observer_.RunReconciled("run", before, decision, acted);

  EXPECT_EQ(Value("kcau_node_updates_total", {{"result", "succeeded"}}), 1);  // n3 was done
  EXPECT_EQ(Value("kcau_node_updates_total", {{"result", "failed"}}), 1);
  EXPECT_EQ(Value("kcau_node_reboots_total"), 1);
  EXPECT_EQ(Value("kcau_updaterun_nodes", {{"updaterun", "run"}, {"phase", "Succeeded"}}), 2);
  EXPECT_EQ(Value("kcau_updaterun_nodes", {{"updaterun", "run"}, {"phase", "Failed"}}), 1);
  // Every phase is there, at 0 when no node is in it.
  EXPECT_EQ(Value("kcau_updaterun_nodes", {{"updaterun", "run"}, {"phase", "Draining"}}), 0);
  EXPECT_EQ(Value("kcau_updaterun_failed_nodes", {{"updaterun", "run"}}), 1);
  EXPECT_EQ(Value("kcau_evictions_total", {{"result", "evicted"}}), 2);
  EXPECT_EQ(Value("kcau_evictions_total", {{"result", "blocked"}}), 1);
  EXPECT_EQ(Value("kcau_evictions_total", {{"result", "deleted"}}), 3);
  EXPECT_EQ(Value("kcau_evictions_total", {{"result", "failback"}}), 4);

  // The next pass reads what was written (a new revision) and changes nothing: nothing moves.
  crd::UpdateRunStatus written = decision.status;
  written.revision = 5;
  reconcilers::RolloutDecision same;
  same.status = written;
  observer_.RunReconciled("run", written, same, {});
  // The same change reported again (the same revision read): counted once.
  observer_.RunReconciled("run", before, decision, {});
  EXPECT_EQ(Value("kcau_node_updates_total", {{"result", "succeeded"}}), 1);
  EXPECT_EQ(Value("kcau_node_updates_total", {{"result", "failed"}}), 1);
  EXPECT_EQ(Value("kcau_node_reboots_total"), 1);
  EXPECT_EQ(Value("kcau_evictions_total", {{"result", "evicted"}}), 2);
}

TEST_F(RunMetricsTest, PhaseDurationsComeFromTheStatusTimestamps) {
  crd::UpdateRunStatus before;
  before.revision = 7;
  crd::NodeResult finishing = At(Node("n4", crd::NodePhase::kVerifying), 500);
  finishing.start_time = kT0;
  before.nodes = {At(Node("n1", crd::NodePhase::kDraining), 0),
                  At(Node("n2", crd::NodePhase::kUpdating), 10),
                  At(Node("n3", crd::NodePhase::kRebooting), 100), finishing};
  reconcilers::RolloutDecision decision;
  decision.status = before;
  crd::NodeResult finished = At(Node("n4", crd::NodePhase::kSucceeded), 900);
  finished.start_time = kT0;
  finished.finish_time = kT0 + std::chrono::seconds(900);
  decision.status.nodes = {At(Node("n1", crd::NodePhase::kUpdating), 90),
                           At(Node("n2", crd::NodePhase::kRebooting), 250),
                           At(Node("n3", crd::NodePhase::kVerifying), 400), finished};
  observer_.RunReconciled("run", before, decision, {});

  EXPECT_EQ(HistogramCount(registry_, "kcau_node_drain_duration_seconds"), 1u);
  EXPECT_EQ(HistogramSum(registry_, "kcau_node_drain_duration_seconds"), 90);
  EXPECT_EQ(HistogramSum(registry_, "kcau_node_install_duration_seconds"), 240);
  EXPECT_EQ(HistogramSum(registry_, "kcau_node_reboot_duration_seconds"), 300);
  EXPECT_EQ(HistogramSum(registry_, "kcau_node_update_duration_seconds", {{"result", "succeeded"}}),
            900);
  EXPECT_EQ(Value("kcau_agent_answers_total", {{"result", "installed"}}), 1);  // n2

  // The decided status read back by the next pass, identical: no transition is seen again.
  crd::UpdateRunStatus written = decision.status;
  written.revision = 8;
  reconcilers::RolloutDecision again;
  again.status = written;
  observer_.RunReconciled("run", written, again, {});
  EXPECT_EQ(HistogramCount(registry_, "kcau_node_drain_duration_seconds"), 1u);
  EXPECT_EQ(HistogramCount(registry_, "kcau_node_install_duration_seconds"), 1u);
  EXPECT_EQ(HistogramCount(registry_, "kcau_node_reboot_duration_seconds"), 1u);
  EXPECT_EQ(
      HistogramCount(registry_, "kcau_node_update_duration_seconds", {{"result", "succeeded"}}),
      1u);
  EXPECT_EQ(Value("kcau_agent_answers_total", {{"result", "installed"}}), 1);
}

TEST_F(RunMetricsTest, RunGaugesSayBudgetRetriesTimesAndWarnAfter) {
  reconcilers::RolloutDecision decision;
  crd::UpdateRunStatus& st = decision.status;
  st.nodes_total = 3;
  st.start_time = kT0;
  st.applied_spec = R"({"maxFailedNodes":2,"warnAfter":"10m"})";
  crd::NodeResult retried = Node("n1", crd::NodePhase::kUpdating);
  retried.attempts = 3;
  st.nodes = {retried, Node("n2", crd::NodePhase::kPending), Node("n3", crd::NodePhase::kFailed)};
  observer_.RunReconciled("run", {}, decision, {});
  const prometheus::Labels run = {{"updaterun", "run"}};
  EXPECT_EQ(Value("kcau_updaterun_max_failed_nodes", run), 2);
  EXPECT_EQ(Value("kcau_updaterun_failed_nodes", run), 1);
  EXPECT_EQ(Value("kcau_updaterun_retries", run), 2);
  EXPECT_EQ(Value("kcau_updaterun_start_time_seconds", run), 1'700'000'000);
  EXPECT_FALSE(SampleValue(registry_, "kcau_updaterun_completion_time_seconds", run));
  EXPECT_EQ(Value("kcau_updaterun_warn_after_passed", run), 0);

  // Ended 20 minutes in: warnAfter (10m) passed, whatever the Warning condition says now.
  st.completion_time = kT0 + std::chrono::minutes(20);
  st.conditions.push_back({crd::kConditionWarning, "True", "NodesFailed", "", kT0, 1});
  observer_.RunReconciled("run", {}, decision, {});
  EXPECT_EQ(Value("kcau_updaterun_completion_time_seconds", run), 1'700'001'200);
  EXPECT_EQ(Value("kcau_updaterun_warn_after_passed", run), 1);

  // Without maxFailedNodes the budget is the default for the nodes selected.
  st.applied_spec = "{}";
  observer_.RunReconciled("run", {}, decision, {});
  EXPECT_EQ(Value("kcau_updaterun_max_failed_nodes", run), 1);
}

crd::NodeResult BlockedBy(crd::NodeResult r, const std::string& reason, int since_s) {
  r.blocked = crd::Blocked{reason, "what blocks", kT0 + std::chrono::seconds(since_s)};
  return r;
}

reconcilers::RolloutDecision Decided(std::vector<crd::NodeResult> nodes,
                                     std::optional<std::string> run_block = std::nullopt) {
  reconcilers::RolloutDecision d;
  d.status.nodes = std::move(nodes);
  if (run_block) d.status.blocked = crd::Blocked{*run_block, "why", kT0};
  return d;
}

TEST_F(RunMetricsTest, BlockedNodesAndRunsAreSummedOverRunsByReason) {
  const std::string pdb = crd::kBlockedByDisruptionBudget;
  const std::string unmanaged = crd::kBlockedByUnmanagedPods;
  // Every reason the status can give is there from the start, at 0.
  for (const std::string& reason : {pdb, unmanaged}) {
    EXPECT_EQ(Value("kcau_blocked_nodes", {{"reason", reason}}), 0) << reason;
    EXPECT_EQ(HistogramCount(registry_, "kcau_node_blocked_duration_seconds", {{"reason", reason}}),
              0u)
        << reason;
  }
  for (const char* reason : {"Quorum", "RunLock", "Locked", "AgentsUpdating"}) {
    EXPECT_EQ(Value("kcau_blocked_runs", {{"reason", reason}}), 0) << reason;
  }

  observer_.RunReconciled("a", {},
                          Decided({BlockedBy(Node("n1", crd::NodePhase::kDraining), pdb, 0),
                                   BlockedBy(Node("n2", crd::NodePhase::kDraining), pdb, 0),
                                   Node("n3", crd::NodePhase::kDraining)}),
                          {});
  observer_.RunReconciled(
      "b", {}, Decided({BlockedBy(Node("n4", crd::NodePhase::kDraining), unmanaged, 0)}, "Quorum"),
      {});
  observer_.RunReconciled("c", {}, Decided({Node("n5", crd::NodePhase::kPending)}, "Quorum"), {});
  observer_.RunReconciled("d", {}, Decided({}, "Locked"), {});
  EXPECT_EQ(Value("kcau_blocked_nodes", {{"reason", pdb}}), 2);
  EXPECT_EQ(Value("kcau_blocked_nodes", {{"reason", unmanaged}}), 1);
  EXPECT_EQ(Value("kcau_blocked_runs", {{"reason", "Quorum"}}), 2);
  EXPECT_EQ(Value("kcau_blocked_runs", {{"reason", "Locked"}}), 1);
  EXPECT_EQ(Value("kcau_blocked_runs", {{"reason", "RunLock"}}), 0);

  // Each run's latest status counts, not the sum of its passes: a's pass again changes
  // nothing; then one of its nodes is unblocked, b's quorum lifts, d is deleted.
  observer_.RunReconciled("a", {},
                          Decided({BlockedBy(Node("n1", crd::NodePhase::kDraining), pdb, 0),
                                   BlockedBy(Node("n2", crd::NodePhase::kDraining), pdb, 0),
                                   Node("n3", crd::NodePhase::kDraining)}),
                          {});
  EXPECT_EQ(Value("kcau_blocked_nodes", {{"reason", pdb}}), 2);
  observer_.RunReconciled(
      "a", {},
      Decided({BlockedBy(Node("n1", crd::NodePhase::kDraining), pdb, 0),
               Node("n2", crd::NodePhase::kDraining), Node("n3", crd::NodePhase::kDraining)}),
      {});
  observer_.RunReconciled(
      "b", {}, Decided({BlockedBy(Node("n4", crd::NodePhase::kDraining), unmanaged, 0)}), {});
  observer_.RunGone("d");
  EXPECT_EQ(Value("kcau_blocked_nodes", {{"reason", pdb}}), 1);
  EXPECT_EQ(Value("kcau_blocked_runs", {{"reason", "Quorum"}}), 1);
  EXPECT_EQ(Value("kcau_blocked_runs", {{"reason", "Locked"}}), 0);

  // A reason kcau does not know yet is counted too, and goes back to 0 when it lifts.
  observer_.RunReconciled("c", {}, Decided({}, "SomethingNew"), {});
  EXPECT_EQ(Value("kcau_blocked_runs", {{"reason", "SomethingNew"}}), 1);
  EXPECT_EQ(Value("kcau_blocked_runs", {{"reason", "Quorum"}}), 0);
  observer_.RunGone("c");
  EXPECT_EQ(Value("kcau_blocked_runs", {{"reason", "SomethingNew"}}), 0);
}

TEST_F(RunMetricsTest, ABlockIsTimedOnceWhenItLifts) {
  const std::string pdb = crd::kBlockedByDisruptionBudget;
  crd::UpdateRunStatus before;
  before.revision = 3;
  before.nodes = {BlockedBy(At(Node("n1", crd::NodePhase::kDraining), 0), pdb, 20)};
  reconcilers::RolloutDecision decision;
  decision.status = before;
  decision.status.nodes = {At(Node("n1", crd::NodePhase::kUpdating), 920)};
  observer_.RunReconciled("run", before, decision, {});
  // Reported twice (same revision read), then read back unchanged: observed once.
  observer_.RunReconciled("run", before, decision, {});
  crd::UpdateRunStatus written = decision.status;
  written.revision = 4;
  reconcilers::RolloutDecision same;
  same.status = written;
  observer_.RunReconciled("run", written, same, {});
  EXPECT_EQ(HistogramCount(registry_, "kcau_node_blocked_duration_seconds", {{"reason", pdb}}), 1u);
  EXPECT_EQ(HistogramSum(registry_, "kcau_node_blocked_duration_seconds", {{"reason", pdb}}), 900);
  EXPECT_EQ(Value("kcau_blocked_nodes", {{"reason", pdb}}), 0);
}

TEST_F(RunMetricsTest, OldestCordonedNodeSaysWhenItWasTaken) {
  auto started = [](crd::NodeResult r, int start_s) {
    r.start_time = kT0 + std::chrono::seconds(start_s);
    return r;
  };
  const prometheus::Labels run = {{"updaterun", "run"}};
  // n1 is done and n4 only in its pre-update hook (not cordoned): n2, taken at +100, is the
  // oldest cordoned.
  observer_.RunReconciled("run", {},
                          Decided({started(Node("n1", crd::NodePhase::kSucceeded), 0),
                                   started(Node("n2", crd::NodePhase::kRebooting), 100),
                                   started(Node("n3", crd::NodePhase::kDraining), 200),
                                   started(Node("n4", crd::NodePhase::kPreUpdateHook), 50),
                                   Node("n5", crd::NodePhase::kPending)}),
                          {});
  EXPECT_EQ(Value("kcau_updaterun_oldest_cordoned_node_start_time_seconds", run), 1'700'000'100);
  // None cordoned any more: the series goes.
  observer_.RunReconciled("run", {},
                          Decided({started(Node("n1", crd::NodePhase::kSucceeded), 0),
                                   started(Node("n2", crd::NodePhase::kSucceeded), 100)}),
                          {});
  EXPECT_FALSE(
      SampleValue(registry_, "kcau_updaterun_oldest_cordoned_node_start_time_seconds", run));
}

TEST_F(RunMetricsTest, AGoneRunLeavesNoSeries) {
  reconcilers::RolloutDecision decision;
  decision.status.nodes = {Node("n1", crd::NodePhase::kDraining)};
  decision.status.start_time = kT0;
  decision.status.applied_spec = "{}";
  observer_.RunReconciled("gone", {}, decision, {});
  observer_.RunReconciled("kept", {}, decision, {});
  ASSERT_NE(metrics::MetricsText(registry_).find(
                "kcau_updaterun_nodes{phase=\"Draining\",updaterun=\"gone\"} 1"),
            std::string::npos)
      << metrics::MetricsText(registry_);
  observer_.RunGone("gone");
  const std::string text = metrics::MetricsText(registry_);
  EXPECT_EQ(text.find("updaterun=\"gone\""), std::string::npos) << text;
  EXPECT_NE(text.find("kcau_updaterun_start_time_seconds{updaterun=\"kept\"}"), std::string::npos)
      << text;
  EXPECT_NE(text.find("kcau_updaterun_nodes{phase=\"Draining\",updaterun=\"kept\"} 1"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace kcau::controller
