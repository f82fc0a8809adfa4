#include "reconcilers/unseen_node_writes.h"

namespace kcau::reconcilers {

namespace {

bool IsNodeWrite(ActionType type) {
  return type == ActionType::kCordon || type == ActionType::kUncordon ||
         type == ActionType::kRequestUpdate;
}

}  // namespace

bool UnseenNodeWrites::Unseen(const NodeAction& action, const std::string& read_version) const {
  if (!IsNodeWrite(action.type) || read_version.empty()) return false;
  std::lock_guard lock(mu_);
  auto it = last_.find(action.node);
  if (it == last_.end()) return false;
  const Write& w = it->second;
  return w.action == action && w.read_version == read_version &&
         clock_.Monotonic() - w.at < kHoldAtMost;
}

bool UnseenNodeWrites::AnyUnseen(const std::string& node, const std::string& read_version) const {
  if (read_version.empty()) return false;
  std::lock_guard lock(mu_);
  auto it = last_.find(node);
  return it != last_.end() && it->second.read_version == read_version &&
         clock_.Monotonic() - it->second.at < kHoldAtMost;
}

void UnseenNodeWrites::Written(const NodeAction& action, const std::string& read_version) {
  if (!IsNodeWrite(action.type)) return;
  std::lock_guard lock(mu_);
  const MonoTime now = clock_.Monotonic();
  last_[action.node] = Write{action, read_version, now};
  if (now - swept_ < kHoldAtMost) return;
  std::erase_if(last_, [&](const auto& entry) { return now - entry.second.at >= kHoldAtMost; });
  swept_ = now;
}

size_t UnseenNodeWrites::size() const {
  std::lock_guard lock(mu_);
  return last_.size();
}

}  // namespace kcau::reconcilers
