// Whether an UpdateRun has ended, decided in one place: the controller (which wakes no ended
// run on node events) and the reconciler (which reads no cluster for an ended run) must
// agree, or a run could be skipped by one while the other still expects to finish it.
// Pure functions, thread-safe.
#pragma once

#include <cstdint>

#include "crd/updaterun_types.h"

namespace kcau::crd {

// Succeeded or Failed: a run in one of these phases acts on no node again.
bool IsEndedPhase(RunPhase phase);

// The run reached Succeeded or Failed for its current generation. A run edited after its end
// has not ended for the new generation until a pass acknowledges the edit
// (status.observedGeneration). Whether it is being deleted does not matter.
bool IsEnded(const UpdateRun& run);

// The same of a status read or written at spec generation `generation`.
bool IsEnded(const UpdateRunStatus& status, int64_t generation);

}  // namespace kcau::crd
