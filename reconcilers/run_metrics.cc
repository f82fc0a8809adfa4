#include "reconcilers/run_metrics.h"

#include <map>

#include "crd/updaterun_codec.h"
#include "metrics/kcau_metrics.h"

namespace kcau::reconcilers {

void RecordRunMetrics(metrics::KcauMetrics* metrics, const std::string& run,
                      const crd::UpdateRunStatus& before, const RolloutDecision& decision,
                      const ActionOutcome& outcome) {
  if (metrics == nullptr) return;
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
      metrics->node_updates_total.Inc({"succeeded"});
    }
    if (!was_done && r.phase == crd::NodePhase::kFailed) {
      metrics->node_updates_total.Inc({"failed"});
    }
    if (r.rebooted && (old == nullptr || !old->rebooted)) metrics->node_reboots_total.Inc();
  }
  metrics->SetRunNodesByPhase(run, by_phase);
  if (outcome.pods_evicted > 0) metrics->evictions_total.Inc({"evicted"}, outcome.pods_evicted);
  if (outcome.pods_deleted > 0) metrics->evictions_total.Inc({"deleted"}, outcome.pods_deleted);
  if (outcome.pods_failed_back > 0) {
    metrics->evictions_total.Inc({"failback"}, outcome.pods_failed_back);
  }
  if (outcome.evictions_blocked > 0) {
    metrics->evictions_total.Inc({"blocked"}, outcome.evictions_blocked);
  }
}

void ForgetRunMetrics(metrics::KcauMetrics* metrics, const std::string& run) {
  if (metrics != nullptr) metrics->ForgetRun(run);
}

}  // namespace kcau::reconcilers
