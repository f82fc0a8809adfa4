// The pod counts a decision needs, read from a ClusterSource: every node's evictable pods
// when the planner compares nodes by them, else only those of the nodes being drained (with
// the names of their pods without a controller, which a drain must not lose silently).
//
// Thread-safety: as the ClusterSource it reads.
#pragma once

#include <vector>

#include "common/status.h"
#include "reconcilers/cluster_source.h"
#include "reconcilers/node_view.h"
#include "reconcilers/rollout_planner.h"

namespace kcau::reconcilers {

// Fills NodeView::evictable_pods (and unmanaged_pods) for the nodes `needs` names.
Status CountPods(ClusterSource& cluster, const PodCountNeeds& needs, std::vector<NodeView>& nodes);

}  // namespace kcau::reconcilers
