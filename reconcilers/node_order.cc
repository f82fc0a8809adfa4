#include "reconcilers/node_order.h"

#include <algorithm>
#include <map>
#include <set>

#include "reconcilers/batch_admission.h"

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
  // SiteAwareUpdatingOrder: every node of a listed site before the next site; sites the list
  // leaves out come after, grouped, in name order.
  std::map<std::string, size_t> site_rank;
  for (size_t i = 0; i < spec.site_aware_updating_order.size(); ++i) {
    site_rank.emplace(spec.site_aware_updating_order[i], i);
  }
  auto rank = [&](const NodeView* n) {
    auto it = site_rank.find(ZoneOf(*n));
    return it == site_rank.end() ? site_rank.size() : it->second;
  };
  const bool site_aware = !site_rank.empty();
  std::sort(rest.begin(), rest.end(), [&](const NodeView* a, const NodeView* b) {
    if (site_aware) {
      if (rank(a) != rank(b)) return rank(a) < rank(b);
      if (ZoneOf(*a) != ZoneOf(*b)) return ZoneOf(*a) < ZoneOf(*b);
    }
    const int pa = std::max(a->evictable_pods, 0);
    const int pb = std::max(b->evictable_pods, 0);
    if (pa != pb) return pa < pb;
    return a->name < b->name;
  });
  for (const NodeView* n : rest) order.push_back(n->name);
  return order;
}

}  // namespace kcau::reconcilers
