// kcau's finalizer on UpdateRuns (crd::kRunFinalizer): added before a run touches a node,
// removed once it has ended, so deleting an active run cancels it safely first (the planner
// stops it as spec.stop would) and deleting an ended run is immediate.
//
// Thread-safety: stateless; safe wherever the KubeClient is.
#pragma once

#include "common/status.h"
#include "kube/kube_client.h"

namespace kcau::reconcilers {

bool HasRunFinalizer(const kube::Json& run);

// Adds (`present`) or removes kcau's finalizer with a merge patch that carries the
// resourceVersion of `run`: a concurrent change makes it a 409, never a lost finalizer.
// Returns the run as written.
StatusOr<kube::Json> SetRunFinalizer(kube::KubeClient& client, const kube::Json& run, bool present);

}  // namespace kcau::reconcilers
