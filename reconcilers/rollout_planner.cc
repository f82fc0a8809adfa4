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
