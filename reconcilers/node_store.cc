#include "reconcilers/node_store.h"

#include "kube/object_meta.h"
#include "reconcilers/object_views.h"

namespace kcau::reconcilers {

void NodeStore::Apply(const std::string& type, const kube::Json& node,
                      const std::function<void(const NodeView&)>& seen) {
  const std::string name = kube::NameOf(node);
  if (type == "DELETED") {
    std::lock_guard<std::mutex> lock(mu_);
    views_.erase(name);
    malformed_.erase(name);
    return;
  }
  try {
    NodeView view = NodeViewFromJson(node);  // outside the lock: it parses annotations
    {
      std::lock_guard<std::mutex> lock(mu_);
      views_.insert_or_assign(name, view);
      malformed_.erase(name);
    }
    if (seen) seen(view);
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(mu_);
    views_.erase(name);
    malformed_.insert_or_assign(name, e.what());
  }
}

StatusOr<std::vector<NodeView>> NodeStore::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!malformed_.empty()) {
    const auto& [name, why] = *malformed_.begin();
    return InternalError("malformed Node \"" + name + "\" in cache: " + why);
  }
  std::vector<NodeView> views;
  views.reserve(views_.size());
  for (const auto& [_, view] : views_) views.push_back(view);
  return views;
}

size_t NodeStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return views_.size();
}

}  // namespace kcau::reconcilers
