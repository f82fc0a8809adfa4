// The fields of the log line the reconciler writes for each Event it records (common/
// logging.h): the Event's reason and, for an Event about one node, the node, its phase in
// the status just decided, and what blocks it, so a log pipeline can follow one node
// through a run without parsing messages.
//
// Thread-safety: a pure function.
#pragma once

#include "common/logging.h"
#include "crd/updaterun_types.h"
#include "reconcilers/rollout_planner.h"

namespace kcau::reconcilers {

// An Event is about a node when its message starts "NODE: " (the planner's wording for every
// node Event) and NODE is one of the status's nodes.
LogFields EventLogFields(const RunEvent& event, const crd::UpdateRunStatus& decided);

}  // namespace kcau::reconcilers
