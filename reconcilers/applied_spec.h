// The spec a started run applies (docs/spec-edits.md) between the reconciler and the planner:
// before deciding, the run's spec becomes the one it started with plus the valid edits of
// its live fields; after deciding, the decided status records that spec and says what an
// edit changed (condition SpecApplied, Events).
//
// Pure functions over values, thread-safe.
#pragma once

#include <optional>

#include "common/clock.h"
#include "crd/updaterun_types.h"
#include "kube/json.h"
#include "reconcilers/rollout_planner.h"
#include "reconcilers/spec_edits.h"

namespace kcau::reconcilers {

// A started run decides with the spec it applies: the one it started with, plus the edits of
// the fields that pace, bound or stop it, when valid (spec_edits.h); `run.spec` becomes that
// spec. `object` is the run as read. nullopt before the start (nothing applied yet).
std::optional<SpecEdit> ApplySpecEdits(crd::UpdateRun& run, const kube::Json& object);

// Records the applied spec in the decided status when the run starts, keeps it current as
// live edits are applied, and says what an edit changed: condition SpecApplied (once a run
// was edited after its start) and, once per edit, Events.
void RecordSpecEdit(const crd::UpdateRun& run, const kube::Json& object,
                    const std::optional<SpecEdit>& edit, RolloutDecision& decision, TimePoint now);

}  // namespace kcau::reconcilers
