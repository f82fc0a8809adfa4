// What the planner knows of one Node: the few fields a decision needs, read on every
// reconcile from the controller's informer caches (reconcilers/cluster_source.h). Plain value,
// thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/protocol.h"
#include "common/shared_value.h"
#include "reconcilers/node_labels.h"

namespace kcau::reconcilers {

struct NodeView {
  std::string name;
  // The labels and the agents' results are shared between copies: a pass copies every
  // node's view (reconcilers/node_labels.h, common/shared_value.h).
  NodeLabels labels;
  bool ready = false;          // condition Ready == True
  bool unschedulable = false;  // spec.unschedulable (cordoned)
  // A write of the controller's own to this node may still land or show: an action of the
  // run is queued or running, or one was made that this view does not show yet
  // (reconcilers/unseen_node_writes.h). Whether the node is cordoned may be about to change,
  // so a node being brought back waits for it rather than end as if it never was cordoned.
  // Filled by the reconciler for the run it plans.
  bool own_write_pending = false;
  std::string boot_id;                              // status.nodeInfo.bootID: changes on every boot
  std::string request_token;                        // agent::kRequestAnnotation as last written
  std::string rescan_request_token;                 // agent::kRescanRequestAnnotation with it
  std::string cordoned_by;                          // agent::kCordonedByAnnotation: RUN/UID
  std::string agent_version;                        // agent::kAgentVersionAnnotation
  std::vector<std::string> pressure;                // node conditions *Pressure that are True
  SharedOptional<agent::AgentResult> agent_result;  // agent::kResultAnnotation, parsed
  std::string hook_request_token;                   // agent::kHookRequestAnnotation's token
  SharedOptional<agent::HookResult> hook_result;    // agent::kHookResultAnnotation, parsed
  // Pods a drain must evict: not owned by a DaemonSet, not mirror pods. -1: not counted in
  // this pass (the planner does not need it for this node).
  int evictable_pods = -1;
  // Of those, the pods without a controller ("ns/name"): lost once evicted, so moved only
  // with drain: Force. Filled with evictable_pods for nodes being drained.
  std::vector<std::string> unmanaged_pods;
  // Of those, the pods whose eviction a PodDisruptionBudget refused at the last drain of this
  // node, each with its budget: "ns/pod (budget name)". Filled for nodes being drained.
  std::vector<std::string> eviction_refusals;
  // metadata.resourceVersion: which version of the Node this view was read from.
  std::string resource_version;

  bool operator==(const NodeView&) const = default;
};

}  // namespace kcau::reconcilers
