// What the reconciler tells whoever watches its runs (the controller's metrics): after each
// pass that decided, the status read, the decision and what acting on it did; and when a run
// is gone. The reconciler depends on this interface only, never on the metrics registry, so
// the decisions and their I/O stay testable without metrics (a null observer is allowed).
//
// Thread-safety: the reconciler calls an observer from any worker thread, for different runs
// at once; implementations must be safe for that.
#pragma once

#include <string>

#include "crd/updaterun_types.h"
#include "reconcilers/node_actions.h"
#include "reconcilers/rollout_planner.h"

namespace kcau::reconcilers {

class RunObserver {
 public:
  virtual ~RunObserver() = default;

  // A pass decided `decision` from a run whose status read `before`, wrote it (when it
  // changed) and applied its actions, which came to `acted`. A pass that changes nothing
  // reports before == decision.status and an empty outcome.
  virtual void RunReconciled(const std::string& run, const crd::UpdateRunStatus& before,
                             const RolloutDecision& decision, const ActionOutcome& acted) = 0;
  // The run was not found: deleted, and nothing is left to report about it.
  virtual void RunGone(const std::string& run) = 0;
};

}  // namespace kcau::reconcilers
