#include "controller/result_handler.h"

#include <spdlog/spdlog.h>

#include "common/logging.h"
#include "metrics/kcau_metrics.h"

namespace kcau::controller {

std::string HandleReconcileResult(WorkQueue& queue, const std::string& key,
                                  const reconcilers::ReconcileResult& result,
                                  metrics::KcauMetrics* metrics) {
  std::string label;
  if (result.status == reconcilers::ReconcileResult::Status::kError) {
    // Transient: back off per key so a broken API server is not hammered.
    LogWith(spdlog::level::warn, {{"error", result.error}}, "reconcile {} failed (attempt {})", key,
            queue.Failures(key) + 1);
    queue.AddRateLimited(key);
    label = "error";
  } else if (result.requeue_after && !result.terminal) {
    queue.Forget(key);
    queue.AddAfter(key, *result.requeue_after);
    // controller-runtime's "requeue" is a look again without a delay.
    label = *result.requeue_after > Duration::zero() ? "requeue_after" : "requeue";
  } else {
    queue.Forget(key);
    label = "success";
  }
  if (metrics != nullptr) {
    metrics->CountReconcile("updaterun", label);
  }
  return label;
}

}  // namespace kcau::controller
