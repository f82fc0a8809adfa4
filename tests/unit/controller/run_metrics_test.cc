// The controller's RunObserver: what a reconcile pass reports becomes kcau's metrics, counted
// on transitions only, under the names dashboards read.
#include "controller/run_metrics.h"

#include <gtest/gtest.h>

#include "metrics/exposition.h"
#include "metrics/kcau_metrics.h"
#include "metrics/registry.h"

namespace kcau::controller {
namespace {

crd::NodeResult Node(const std::string& name, crd::NodePhase phase, bool rebooted = false) {
  crd::NodeResult r;
  r.name = name;
  r.phase = phase;
  r.rebooted = rebooted;
  return r;
}

class RunMetricsTest : public ::testing::Test {
 protected:
  metrics::Registry registry_;
  metrics::KcauMetrics metrics_{registry_, "test"};
  RunMetrics observer_{metrics_};
};

TEST_F(RunMetricsTest, CountsTransitionsOnceAndNodesByPhase) {
  crd::UpdateRunStatus before;
  before.nodes = {Node("n1", crd::NodePhase::kRebooting), Node("n2", crd::NodePhase::kUpdating),
                  Node("n3", crd::NodePhase::kSucceeded, true)};
  reconcilers::RolloutDecision decision;
  decision.status.nodes = {Node("n1", crd::NodePhase::kSucceeded, true),
                           Node("n2", crd::NodePhase::kFailed),
                           Node("n3", crd::NodePhase::kSucceeded, true)};
  reconcilers::ActionOutcome acted;
  acted.pods_evicted = 2;
  acted.evictions_blocked = 1;
  acted.pods_deleted = 3;
  acted.pods_failed_back = 4;
  observer_.RunReconciled("run", before, decision, acted);

  EXPECT_EQ(registry_.Value("kcau_node_updates_total", {"succeeded"}), 1);  // n3 was done
  EXPECT_EQ(registry_.Value("kcau_node_updates_total", {"failed"}), 1);
  EXPECT_EQ(registry_.Value("kcau_node_reboots_total"), 1);
  EXPECT_EQ(registry_.Value("kcau_updaterun_nodes", {"run", "Succeeded"}), 2);
  EXPECT_EQ(registry_.Value("kcau_updaterun_nodes", {"run", "Failed"}), 1);
  EXPECT_EQ(registry_.Value("kcau_evictions_total", {"evicted"}), 2);
  EXPECT_EQ(registry_.Value("kcau_evictions_total", {"blocked"}), 1);
  EXPECT_EQ(registry_.Value("kcau_evictions_total", {"deleted"}), 3);
  EXPECT_EQ(registry_.Value("kcau_evictions_total", {"failback"}), 4);

  // The same pass again (nothing changed since): no counter moves.
  observer_.RunReconciled("run", decision.status, decision, {});
  EXPECT_EQ(registry_.Value("kcau_node_updates_total", {"succeeded"}), 1);
  EXPECT_EQ(registry_.Value("kcau_node_updates_total", {"failed"}), 1);
  EXPECT_EQ(registry_.Value("kcau_node_reboots_total"), 1);
  EXPECT_EQ(registry_.Value("kcau_evictions_total", {"evicted"}), 2);
}

TEST_F(RunMetricsTest, AGoneRunLeavesNoSeries) {
  reconcilers::RolloutDecision decision;
  decision.status.nodes = {Node("n1", crd::NodePhase::kDraining)};
  observer_.RunReconciled("gone", {}, decision, {});
  observer_.RunReconciled("kept", {}, decision, {});
  ASSERT_NE(metrics::RenderText(registry_).find(
                "kcau_updaterun_nodes{phase=\"Draining\",updaterun=\"gone\"} 1"),
            std::string::npos)
      << metrics::RenderText(registry_);
  observer_.RunGone("gone");
  const std::string text = metrics::RenderText(registry_);
  EXPECT_EQ(text.find("updaterun=\"gone\""), std::string::npos) << text;
  EXPECT_NE(text.find("updaterun=\"kept\""), std::string::npos) << text;
}

}  // namespace
}  // namespace kcau::controller
