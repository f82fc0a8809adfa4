// The reconciler's RunObserver over kcau's metrics (docs/metrics.md). Per run (label
// updaterun): nodes by phase (every phase, 0 included), failed nodes and the failure budget,
// retries, start and completion times, whether warnAfter has passed; set from each decided
// status, removed when the run is gone. Across runs: nodes that ended, reboots, phase
// durations, agent answers and timeouts (controller/node_transitions.h), counted on the
// transitions between the status a pass read and the one it decided, so a pass that changes
// nothing counts nothing, and a change reported twice (same run, same status revision read)
// is counted once; and the evictions each pass made.
//
// Thread-safety: safe from any thread (the reconciler calls it from every worker); the
// metrics are prometheus-cpp's, and the few fields of its own are guarded by mu_.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
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
  // Which read status a run's transitions were last counted from: its revision and start.
  struct CountedFrom {
    int64_t revision = 0;
    std::optional<TimePoint> start_time;
    bool operator==(const CountedFrom&) const = default;
  };
  // True the first time a run's changes from `before` are reported.
  bool FirstReport(const std::string& run, const crd::UpdateRunStatus& before);
  void SetRunGauges(const std::string& run, const crd::UpdateRunStatus& status);
  void CountTransitions(const crd::UpdateRunStatus& before,
                        const reconcilers::RolloutDecision& decision);

  metrics::KcauMetrics& metrics_;
  std::mutex mu_;
  std::map<std::string, CountedFrom> counted_;  // guarded by mu_
};

}  // namespace kcau::controller
