// The planner's public door (rollout_planner.h). The pass it runs lives in
// reconcilers/planner/, one file per question (planner/pass.h lists them).
#include "reconcilers/rollout_planner.h"

#include "reconcilers/kstatus_conditions.h"
#include "reconcilers/planner/pass.h"

namespace kcau::reconcilers {

using crd::NodePhase;
using crd::RunPhase;

RolloutDecision PlanRollout(const crd::UpdateRun& run, const std::vector<NodeView>& nodes,
                            TimePoint now, const ElapsedFn& elapsed,
                            std::string_view controller_version) {
  RolloutDecision decision = planner::Pass(run, nodes, now, elapsed, controller_version).Run();
  SetKstatusConditions(decision.status, run.generation, now);
  return decision;
}

// What StepUpdating and StepVerifying (planner/node_update.cc, node_verify.cc) take for
// "uncordon now": the round's result Installed, no reboot to follow, the node Ready on the
// boot the round ran on (no reboot since, so no re-scan is due) and still cordoned. For a
// re-scan round begun after a reboot, StepUpdating learns the round before from the result's
// `previous`, and StepRebooting then sees the node back on a new boot.
bool UncordonDue(const UncordonOnResult& expected, const NodeView& node) {
  const auto& result = node.agent_result;
  if (node.name != expected.node || !result || result->token != expected.token ||
      result->state != agent::AgentState::kInstalled || result->reboot_required || !node.ready ||
      !node.unschedulable) {
    return false;
  }
  if (!expected.boot_id.empty()) return node.boot_id == expected.boot_id;
  if (node.boot_id.empty() || node.boot_id == expected.rebooted_from ||
      result->boot_id != node.boot_id || node.request_token != expected.after ||
      node.rescan_request_token != expected.token || result->previous.empty()) {
    return false;
  }
  const agent::AgentResult& before = result->previous.front();
  return before.token == expected.after && before.state == agent::AgentState::kInstalled &&
         before.reboot_required;
}

PodCountNeeds PodCountsNeeded(const crd::UpdateRun& run) {
  PodCountNeeds needs;
  const auto phase = run.status.phase;
  if (phase == RunPhase::kSucceeded || phase == RunPhase::kFailed) return needs;
  if (run.status.plan.empty()) {
    needs.all = true;
    return needs;
  }
  for (const auto& r : run.status.nodes) {
    if (r.phase == NodePhase::kCordoned || r.phase == NodePhase::kDraining) {
      needs.nodes.push_back(r.name);
    }
  }
  return needs;
}

std::string RunIdentity(const crd::UpdateRun& run) {
  return run.name + "/" + (run.uid.empty() ? "-" : run.uid);
}

std::string RequestToken(const crd::UpdateRun& run, const std::string& node, int attempt,
                         int round) {
  return run.name + "/" + (run.uid.empty() ? "-" : run.uid) + "/" + node + "/" +
         std::to_string(attempt) + (round > 1 ? "/" + std::to_string(round) : "");
}

}  // namespace kcau::reconcilers
