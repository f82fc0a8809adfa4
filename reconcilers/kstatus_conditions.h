// The conditions every GitOps tool reads, derived from the run's own: Reconciling (True while
// the run waits to start or updates nodes), Ready (True once it ended with every selected node
// updated) and Stalled (True once it ended without that), as kstatus defines them and Flux,
// Argo CD (docs/gitops.md) and `kubectl wait` read them. Each of the run's conditions is
// stamped with the generation the status describes, so a spec edit of an ended run, once
// observed, leaves no condition behind at the old generation.
// Pure, thread-safe.
#pragma once

#include <cstdint>

#include "common/clock.h"
#include "crd/updaterun_types.h"

namespace kcau::reconcilers {

inline constexpr char kConditionReconciling[] = "Reconciling";
inline constexpr char kConditionReady[] = "Ready";
inline constexpr char kConditionStalled[] = "Stalled";

// Sets Reconciling, Ready and Stalled from status.phase and the Progressing, Succeeded and
// Failed conditions (their reasons and messages carried over), and every condition's
// observedGeneration to `generation`.
void SetKstatusConditions(crd::UpdateRunStatus& status, int64_t generation, TimePoint now);

}  // namespace kcau::reconcilers
