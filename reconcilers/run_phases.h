// What the reconciler last read or wrote of each run's phase. The controller wakes runs on
// node and pod changes and counts them by phase for kcau_updateruns; the run informer that
// names the runs lists and watches their metadata only (a 5,000-node run's status is
// ~400 KiB, and every status write would otherwise come back as a watch event of that size:
// docs/architecture.md), so the phases come from here. A run not looked at yet (a controller
// just started; every run is looked at as soon as it leads) is Pending, as one without status.
//
// Thread-safety: safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "crd/updaterun_types.h"

namespace kcau::reconcilers {

class RunPhases {
 public:
  // `status` was read from, or written to, run `run` at spec generation `generation`.
  void Record(const std::string& run, int64_t generation, const crd::UpdateRunStatus& status);
  // The run ended in `phase` for its current spec (an invalid run, which may not decode).
  void RecordEnded(const std::string& run, crd::RunPhase phase);
  // The run is gone.
  void Forget(const std::string& run);
  // Succeeded or Failed for its current spec: node changes cannot affect it.
  bool Ended(const std::string& run) const;
  // Of `runs`, how many are in each phase (by its name).
  std::map<std::string, int> CountByPhase(const std::vector<std::string>& runs) const;

 private:
  struct Known {
    crd::RunPhase phase;
    bool ended;
  };
  mutable std::mutex mu_;
  std::map<std::string, Known> runs_;  // guarded by mu_
};

}  // namespace kcau::reconcilers
