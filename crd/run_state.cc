#include "crd/run_state.h"

namespace kcau::crd {

bool IsEndedPhase(RunPhase phase) {
  return phase == RunPhase::kSucceeded || phase == RunPhase::kFailed;
}

bool IsEnded(const UpdateRun& run) { return IsEnded(run.status, run.generation); }

bool IsEnded(const UpdateRunStatus& status, int64_t generation) {
  return IsEndedPhase(status.phase) && status.observed_generation == generation;
}

}  // namespace kcau::crd
