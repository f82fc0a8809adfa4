// The nodes one run's passes read, kept from one pass to the next so that a pass copies only
// the nodes that changed since the last (ClusterSource::RefreshNodes): at 5,000 nodes,
// copying every NodeView (labels, tokens, the agent's result) and freeing the copies again
// was a third of each pass's time. Plain value; one pass uses it at a time.
#pragma once

#include <cstdint>
#include <vector>

#include "reconcilers/node_view.h"

namespace kcau::reconcilers {

struct NodeSnapshot {
  // The NodeStore generation the views are up to date with; 0: none (refresh them all).
  uint64_t generation = 0;
  std::vector<NodeView> views;  // by name
};

// What a pass adds to the views it reads (pod counts, a drain's refusals), taken off again
// before the next pass fills them anew.
inline void ClearPassFields(NodeView& view) {
  view.evictable_pods = -1;
  view.unmanaged_pods.clear();
  view.eviction_refusals.clear();
}

}  // namespace kcau::reconcilers
