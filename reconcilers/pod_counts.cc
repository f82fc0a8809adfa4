#include "reconcilers/pod_counts.h"

#include <utility>

namespace kcau::reconcilers {

Status CountPods(ClusterSource& cluster, const PodCountNeeds& needs, std::vector<NodeView>& nodes) {
  if (needs.all) {
    auto counts = cluster.EvictablePodsPerNode();
    if (!counts.ok()) return counts.status();
    for (auto& n : nodes) {
      auto it = counts->find(n.name);
      n.evictable_pods = it == counts->end() ? 0 : it->second;
    }
    return Status::Ok();
  }
  for (auto& n : nodes) {
    for (const auto& wanted : needs.nodes) {
      if (n.name != wanted) continue;
      auto pods = cluster.EvictablePodsOn(n.name);
      if (!pods.ok()) return pods.status();
      n.evictable_pods = pods->count;
      n.unmanaged_pods = std::move(pods->unmanaged);
    }
  }
  return Status::Ok();
}

}  // namespace kcau::reconcilers
