// Turns a ReconcileResult into a work-queue call and a reconcile_total{result} increment —
// the one place that does so (controller-runtime's reconcileHandler).
// Thread-safety: safe from any worker; the queue and the metrics are thread-safe.
#pragma once

#include <string>

#include "controller/work_queue.h"
#include "reconcilers/reconcile_result.h"

namespace kcau::metrics {
struct KcauMetrics;
}

namespace kcau::controller {

// Returns the result label counted: "success", "error", "requeue" (look again at once),
// "requeue_after" (a timer).
std::string HandleReconcileResult(WorkQueue& queue, const std::string& key,
                                  const reconcilers::ReconcileResult& result,
                                  metrics::KcauMetrics* metrics);

}  // namespace kcau::controller
