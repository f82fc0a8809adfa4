// The reconciler's RunObserver over kcau's metrics (docs/metrics.md). Per run (label
// updaterun): nodes by phase (every phase, 0 included), failed nodes and the failure budget,
// retries, start and completion times, whether warnAfter has passed, when the node it has
// kept cordoned longest was taken; set from each decided status, removed when the run is
// gone. Across runs: blocked nodes and runs by reason, summed over each run's latest status;
// nodes that ended, reboots, phase and block durations, agent answers and timeouts
// (controller/node_transitions.h), counted on the
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
#include <set>
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
  // Records the run's blocks from `status` (none when nullptr: the run is gone) and sets
  // the gauges to the sums over every run.
  void SetBlocks(const std::string& run, const crd::UpdateRunStatus* status);
  void CountTransitions(const crd::UpdateRunStatus& before,
                        const reconcilers::RolloutDecision& decision);

  metrics::KcauMetrics& metrics_;
  std::mutex mu_;
  std::map<std::string, CountedFrom> counted_;  // guarded by mu_
  // Per run, its blocked nodes by reason and its own block's reason (empty: none).
  struct Blocks {
    std::map<std::string, int> nodes;
    std::string run;
  };
  // Summing and setting under mu_, so two runs' passes cannot publish stale sums.
  std::map<std::string, Blocks> blocks_;  // guarded by mu_
  // Every reason each gauge has had, so one that lifted everywhere goes back to 0.
  std::set<std::string> node_reasons_;  // guarded by mu_
  std::set<std::string> run_reasons_;   // guarded by mu_
};

}  // namespace kcau::controller
