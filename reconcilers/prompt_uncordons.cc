#include "reconcilers/prompt_uncordons.h"

#include <utility>

namespace kcau::reconcilers {

void PromptUncordons::Expect(const std::string& run, const std::vector<UncordonOnResult>& expected,
                             std::shared_ptr<const crd::UpdateRunSpec> spec) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(by_node_, [&](const auto& entry) { return entry.second.run == run; });
  for (const auto& on : expected) by_node_.emplace(on.node, Expected{run, on, spec});
}

void PromptUncordons::Forget(const std::string& run) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(by_node_, [&](const auto& entry) { return entry.second.run == run; });
}

std::optional<PromptUncordons::Due> PromptUncordons::Seen(const NodeView& node) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [first, last] = by_node_.equal_range(node.name);
  for (auto it = first; it != last; ++it) {
    if (!UncordonDue(it->second.on, node)) continue;
    Due due{it->second.run, NodeAction{ActionType::kUncordon, node.name}, it->second.spec};
    by_node_.erase(first, last);
    return due;
  }
  return std::nullopt;
}

}  // namespace kcau::reconcilers
