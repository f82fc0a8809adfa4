#include "reconcilers/node_order.h"

#include <algorithm>
#include <set>

namespace kcau::reconcilers {

std::vector<std::string> OrderNodes(const crd::UpdateRunSpec& spec,
                                    const std::vector<const NodeView*>& selected) {
  std::set<std::string> selected_names;
  for (const NodeView* n : selected) selected_names.insert(n->name);

  std::vector<std::string> order;
  std::set<std::string> placed;
  for (const auto& name : spec.node_order) {
    // Validation already refused unknown names; this guard keeps the function total.
    if (selected_names.count(name) && placed.insert(name).second) order.push_back(name);
  }

  std::vector<const NodeView*> rest;
  for (const NodeView* n : selected) {
    if (!placed.count(n->name)) rest.push_back(n);
  }
  std::sort(rest.begin(), rest.end(), [](const NodeView* a, const NodeView* b) {
    const int pa = std::max(a->evictable_pods, 0);
    const int pb = std::max(b->evictable_pods, 0);
    if (pa != pb) return pa < pb;
    return a->name < b->name;
  });
  for (const NodeView* n : rest) order.push_back(n->name);
  return order;
}

}  // namespace kcau::reconcilers
