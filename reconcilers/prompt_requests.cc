#include "reconcilers/prompt_requests.h"

#include <utility>

namespace kcau::reconcilers {

void PromptRequests::Expect(const std::string& run, const std::vector<RequestOnDrained>& expected,
                            std::shared_ptr<const crd::UpdateRunSpec> spec) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(by_node_, [&](const auto& entry) { return entry.second.run == run; });
  for (const auto& on : expected) by_node_.insert_or_assign(on.node, Due{run, on.request, spec});
}

void PromptRequests::Forget(const std::string& run) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(by_node_, [&](const auto& entry) { return entry.second.run == run; });
}

void PromptRequests::Try(const std::string& node, const std::function<bool(const Due&)>& start) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_node_.find(node);
  if (it == by_node_.end()) return;
  if (start(it->second)) by_node_.erase(it);
}

}  // namespace kcau::reconcilers
