#include "reconcilers/pod_store.h"

namespace kcau::reconcilers {

void PodStore::Apply(const std::string& type, const kube::Json& pod) {
  PodView view = PodViewFromJson(pod);
  const std::string key = view.Key();
  std::lock_guard<std::mutex> lock(mu_);
  // Out of its old node's set first: a pod's node changes once, when it is scheduled.
  if (auto was = node_of_.find(key); was != node_of_.end()) {
    auto node = by_node_.find(was->second);
    if (node != by_node_.end()) {
      node->second.erase(key);
      if (node->second.empty()) by_node_.erase(node);
    }
    node_of_.erase(was);
  }
  if (type == "DELETED") return;
  by_node_[view.node][key] = {view.daemon_set_or_mirror, view.terminating, view.has_controller};
  node_of_[key] = std::move(view.node);
}

std::vector<PodView> PodStore::On(const std::string& node) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<PodView> pods;
  auto it = by_node_.find(node);
  if (it == by_node_.end()) return pods;
  pods.reserve(it->second.size());
  for (const auto& [key, traits] : it->second) {
    const size_t slash = key.find('/');
    pods.push_back({key.substr(0, slash), key.substr(slash + 1), node, traits.daemon_set_or_mirror,
                    traits.terminating, traits.has_controller});
  }
  return pods;
}

std::map<std::string, int> PodStore::EvictablePerNode() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, int> counts;
  for (const auto& [node, pods] : by_node_) {
    if (node.empty()) continue;
    int evictable = 0;
    for (const auto& [_, pod] : pods) {
      if (!pod.daemon_set_or_mirror) ++evictable;
    }
    if (evictable > 0) counts[node] = evictable;
  }
  return counts;
}

size_t PodStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return node_of_.size();
}

}  // namespace kcau::reconcilers
