// The JSON side of what reconcilers read: a Node as a NodeView, and the slimmed copies the
// controller's caches keep. Keeping the "which fields" knowledge here, next to the code that
// reads them, means a field the planner starts reading cannot be stripped by the cache.
// Adapter-level header: it speaks the API's JSON. Thread-safety: pure functions.
#pragma once

#include "kube/kube_client.h"
#include "reconcilers/node_view.h"

namespace kcau::reconcilers {

// Throws std::exception on a Node without metadata.name (callers convert it to a Status).
NodeView NodeViewFromJson(const kube::Json& node);

// The node a pod is bound to; empty when unscheduled.
std::string NodeNameOfPod(const kube::Json& pod);

}  // namespace kcau::reconcilers
