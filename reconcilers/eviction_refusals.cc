#include "reconcilers/eviction_refusals.h"

namespace kcau::reconcilers {

void EvictionRefusals::Record(const std::string& run,
                              const std::map<std::string, std::vector<std::string>>& by_node) {
  if (by_node.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto& nodes = runs_[run];
  for (const auto& [node, refusals] : by_node) {
    if (refusals.empty()) {
      nodes.erase(node);
    } else {
      nodes[node] = refusals;
    }
  }
  if (nodes.empty()) runs_.erase(run);
}

void EvictionRefusals::Fill(const std::string& run, std::vector<NodeView>& nodes) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = runs_.find(run);
  if (it == runs_.end()) return;
  for (auto& view : nodes) {
    auto found = it->second.find(view.name);
    if (found != it->second.end()) view.eviction_refusals = found->second;
  }
}

void EvictionRefusals::Forget(const std::string& run) {
  std::lock_guard<std::mutex> lock(mu_);
  runs_.erase(run);
}

}  // namespace kcau::reconcilers
