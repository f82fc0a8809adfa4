// The reconciler's RunObserver over kcau's metrics: nodes of each run by phase, nodes that
// finished (succeeded or failed), reboots seen, evictions made or refused. Counters move
// only on transitions between the status read and the status decided, so a pass that changes
// nothing counts nothing; a run gone has its series removed.
//
// Thread-safety: as metrics::KcauMetrics (safe from any thread); holds no state of its own.
#pragma once

#include <string>

#include "reconcilers/run_observer.h"

namespace kcau::metrics {
struct KcauMetrics;
}

namespace kcau::controller {

class RunMetrics : public reconcilers::RunObserver {
 public:
  // `metrics` must outlive this observer.
  explicit RunMetrics(metrics::KcauMetrics& metrics) : metrics_(metrics) {}
  RunMetrics(const RunMetrics&) = delete;
  RunMetrics& operator=(const RunMetrics&) = delete;

  void RunReconciled(const std::string& run, const crd::UpdateRunStatus& before,
                     const reconcilers::RolloutDecision& decision,
                     const reconcilers::ActionOutcome& acted) override;
  void RunGone(const std::string& run) override;

 private:
  metrics::KcauMetrics& metrics_;
};

}  // namespace kcau::controller
