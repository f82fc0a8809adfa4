#include "controller/run_metrics.h"

#include <map>

#include "crd/names.h"
#include "metrics/kcau_metrics.h"

namespace kcau::controller {

void RunMetrics::RunReconciled(const std::string& run, const crd::UpdateRunStatus& before,
                               const reconcilers::RolloutDecision& decision,
                               const reconcilers::ActionOutcome& acted) {
  std::map<std::string, const crd::NodeResult*> old_by_name;
  for (const auto& r : before.nodes) old_by_name[r.name] = &r;

  std::map<std::string, int> by_phase;
  for (const auto& r : decision.status.nodes) {
    ++by_phase[crd::NodePhaseName(r.phase)];
    auto it = old_by_name.find(r.name);
    const crd::NodeResult* old = it == old_by_name.end() ? nullptr : it->second;
    const bool was_done = old != nullptr && (old->phase == crd::NodePhase::kSucceeded ||
                                             old->phase == crd::NodePhase::kFailed);
    if (!was_done && r.phase == crd::NodePhase::kSucceeded) {
      metrics_.node_updates_total.Inc({"succeeded"});
    }
    if (!was_done && r.phase == crd::NodePhase::kFailed) {
      metrics_.node_updates_total.Inc({"failed"});
    }
    if (r.rebooted && (old == nullptr || !old->rebooted)) metrics_.node_reboots_total.Inc();
  }
  metrics_.SetRunNodesByPhase(run, by_phase);
  if (acted.pods_evicted > 0) metrics_.evictions_total.Inc({"evicted"}, acted.pods_evicted);
  if (acted.pods_deleted > 0) metrics_.evictions_total.Inc({"deleted"}, acted.pods_deleted);
  if (acted.pods_failed_back > 0) {
    metrics_.evictions_total.Inc({"failback"}, acted.pods_failed_back);
  }
  if (acted.evictions_blocked > 0) {
    metrics_.evictions_total.Inc({"blocked"}, acted.evictions_blocked);
  }
}

void RunMetrics::RunGone(const std::string& run) { metrics_.ForgetRun(run); }

}  // namespace kcau::controller
