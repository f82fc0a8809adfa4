// Reads the part of the cluster a run's decisions depend on: nodes as NodeViews, and counts
// of the pods a drain must evict. The JSON-to-view translation lives in the .cc so no
// cpprestsdk type leaks into reconciler headers.
//
// Thread-safety: stateless functions; safe wherever the KubeClient is.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "reconcilers/node_view.h"

namespace kcau::kube {
class KubeClient;
}

namespace kcau::reconcilers {

StatusOr<std::vector<NodeView>> ReadNodes(kube::KubeClient& client);

// Pods on `node` a drain must evict: everything but DaemonSet-owned and mirror pods (as
// `kubectl drain --ignore-daemonsets` leaves them). Pods already terminating still count:
// the node is not drained until they are gone.
StatusOr<int> CountEvictablePods(kube::KubeClient& client, const std::string& node);

// The same for every node at once, from one list of all pods (nodes without pods are absent).
StatusOr<std::map<std::string, int>> CountEvictablePodsPerNode(kube::KubeClient& client);

}  // namespace kcau::reconcilers
