// What one reconcile pass tells the metrics: nodes of the run by phase, nodes that finished
// (succeeded or failed), reboots seen, evictions made or refused. Counters move only on
// transitions between the status read and the status decided, so a pass that changes
// nothing counts nothing.
// Thread-safety: as metrics::KcauMetrics (safe from any thread).
#pragma once

#include <string>

#include "crd/updaterun_types.h"
#include "reconcilers/node_actions.h"
#include "reconcilers/rollout_planner.h"

namespace kcau::metrics {
struct KcauMetrics;
}

namespace kcau::reconcilers {

// metrics may be null: then nothing is recorded.
void RecordRunMetrics(metrics::KcauMetrics* metrics, const std::string& run,
                      const crd::UpdateRunStatus& before, const RolloutDecision& decision,
                      const ActionOutcome& outcome);
void ForgetRunMetrics(metrics::KcauMetrics* metrics, const std::string& run);

}  // namespace kcau::reconcilers
