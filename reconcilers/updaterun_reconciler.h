// The UpdateRun reconciler: the thin I/O shell around PlanRollout. Each call re-reads the
// run and the nodes, decides, writes the status (only when it changed), then applies the
// actions that status announces, then publishes Events. It keeps no state between calls, so
// a controller killed at any instant resumes from what the API server holds.
//
// Thread-safety: Reconcile may run on several threads for *different* runs; the work queue
// guarantees one run is never reconciled twice at once.
#pragma once

#include <string>

#include "common/clock.h"
#include "reconcilers/event_recorder.h"
#include "reconcilers/reconcile_result.h"

namespace kcau::kube {
class KubeClient;
}
namespace kcau::metrics {
struct KcauMetrics;
}

namespace kcau::reconcilers {

class UpdateRunReconciler {
 public:
  // metrics may be null (tests that do not read them).
  UpdateRunReconciler(kube::KubeClient& client, const Clock& clock, metrics::KcauMetrics* metrics);
  UpdateRunReconciler(const UpdateRunReconciler&) = delete;
  UpdateRunReconciler& operator=(const UpdateRunReconciler&) = delete;

  ReconcileResult Reconcile(const std::string& run_name);

 private:
  kube::KubeClient& client_;
  const Clock& clock_;
  metrics::KcauMetrics* metrics_;
  EventRecorder events_;
};

}  // namespace kcau::reconcilers
