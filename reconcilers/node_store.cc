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
    malformed_.insert_or_assign(name, Malformed{e.what(), kube::ResourceVersionOf(node)});
  }
}

StatusOr<std::vector<NodeView>> NodeStore::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!malformed_.empty()) {
    const auto& [name, malformed] = *malformed_.begin();
    return InternalError("malformed Node \"" + name + "\" in cache: " + malformed.why);
  }
  std::vector<NodeView> views;
  views.reserve(views_.size());
  for (const auto& [_, view] : views_) views.push_back(view);
  return views;
}

std::optional<std::string> NodeStore::VersionOf(const std::string& key) const {
  if (key.empty() || key[0] != '/') return std::nullopt;
  const std::string name = key.substr(1);
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = views_.find(name); it != views_.end()) return it->second.resource_version;
  if (auto it = malformed_.find(name); it != malformed_.end()) return it->second.resource_version;
  return std::nullopt;
}

void NodeStore::ForEachKey(
    const std::function<void(const std::string& key, const std::string& version)>& visit) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, view] : views_) visit("/" + name, view.resource_version);
  for (const auto& [name, malformed] : malformed_) visit("/" + name, malformed.resource_version);
}

size_t NodeStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return views_.size() + malformed_.size();
}

}  // namespace kcau::reconcilers
