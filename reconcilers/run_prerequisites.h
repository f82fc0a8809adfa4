// What a run's spec refers to outside itself, checked before the run starts: each hook's
// ConfigMap and key, and the agents' DaemonSet for forceSelfUpdate. A typo must end the run
// before it touches a node, not surface as a failed node half-way through.
//
// Thread-safety: stateless; safe wherever the KubeClient is.
#pragma once

#include <string>

#include "common/status.h"
#include "crd/updaterun_types.h"

namespace kcau::kube {
class KubeClient;
}

namespace kcau::reconcilers {

// "" when everything `spec` refers to in the controller's namespace `ns` exists, else the
// field and the problem ("spec.preUpdateHook.configMap: configmap \"x\" not found in ...").
// An error when it could not be read.
StatusOr<std::string> MissingPrerequisite(kube::KubeClient& client, const crd::UpdateRunSpec& spec,
                                          const std::string& ns);

}  // namespace kcau::reconcilers
