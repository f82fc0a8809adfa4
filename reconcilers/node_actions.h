// Turns the planner's NodeActions into API calls: cordon, drain (PDB-respecting evictions),
// the agent request, uncordon. Each is idempotent, because a restarted controller may apply
// an action whose status it had already written. Update and hook requests are signed with
// the controller's key (agent/request_signature.h): agents act on nothing else.
//
// Thread-safety: stateless; safe wherever the KubeClient is.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "crd/updaterun_types.h"
#include "kube/resource.h"
#include "reconcilers/rollout_planner.h"

namespace kcau::kube {
class KubeClient;
}
namespace kcau::agent {
class RequestSigningKey;
}

namespace kcau::reconcilers {

class ClusterSource;

struct ActionOutcome {
  int pods_evicted = 0;
  int evictions_blocked = 0;  // refused with 429 by a PodDisruptionBudget: retried later
  int pods_deleted = 0;       // drain Force: deleted although a budget refused the eviction
  int pods_failed_back = 0;   // failbackMode Policy: evicted so they can spread back
  // A drain met the controller's own pod while other pods were still to go: it was left.
  bool own_pod_left = false;
  // Per node drained: the pods whose eviction a PodDisruptionBudget refused, "ns/pod (budget
  // name)"; empty when every eviction went.
  std::map<std::string, std::vector<std::string>> eviction_refusals;
};

// Adds what `part` (the actions of one node) did to `total` (the pass's).
void MergeActionOutcome(const ActionOutcome& part, ActionOutcome& total);

// RebootMode and AttemptSoftReboot as the agent's kcau.io/reboot-mode ("full", "soft",
// "plugin"): OrchestratorDefault (the default) is a full reboot unless attemptSoftReboot asks
// to try a soft one first.
std::string AgentRebootMode(const crd::UpdateRunSpec& spec);

// A drain reads the node's pods from `cluster` (the informers' cache in the controller: no
// List per drain). A cache a moment behind is safe: a pod it misses is found at the next
// drain poll, and one already gone answers its eviction with 404, which counts as done.
// `own_pod`: the controller's own pod, if known. A drain evicts it last, only when no other
// pod is left to go (and the reconciler hands the lead over before that, when another
// replica can take it: updaterun_reconciler.h).
Status ApplyNodeAction(kube::KubeClient& client, ClusterSource& cluster, const NodeAction& action,
                       const crd::UpdateRunSpec& spec, const std::string& hook_namespace,
                       const agent::RequestSigningKey& signing_key, ActionOutcome& outcome,
                       const std::optional<kube::ObjectKey>& own_pod = std::nullopt,
                       const std::function<void()>& before_eviction = nullptr);

}  // namespace kcau::reconcilers
