#include "reconcilers/unseen_node_writes.h"

namespace kcau::reconcilers {

namespace {

bool IsNodeWrite(ActionType type) {
  return type == ActionType::kCordon || type == ActionType::kUncordon ||
         type == ActionType::kRequestUpdate;
}

// Whether `node` shows the effect of the node write `action`.
bool Shows(const NodeView& node, const NodeAction& action) {
  switch (action.type) {
    case ActionType::kCordon:
      return node.unschedulable && node.cordoned_by == action.token;
    case ActionType::kUncordon:
      return !node.unschedulable;
    case ActionType::kRequestUpdate:
      return node.request_token == action.token;
    default:
      return true;
  }
}

}  // namespace

bool UnseenNodeWrites::Unseen(const NodeAction& action, const std::string& read_version) const {
  if (!IsNodeWrite(action.type) || read_version.empty()) return false;
  std::lock_guard lock(mu_);
  auto it = last_.find(action.node);
  if (it == last_.end()) return false;
  const Write& w = it->second;
  return w.made && w.action == action && w.read_version == read_version &&
         clock_.Monotonic() - w.at < kHoldAtMost;
}

bool UnseenNodeWrites::AnyUnseen(const NodeView& cached) const {
  if (cached.resource_version.empty()) return false;
  std::lock_guard lock(mu_);
  auto it = last_.find(cached.name);
  if (it == last_.end() || clock_.Monotonic() - it->second.at >= kHoldAtMost) return false;
  const Write& w = it->second;
  return w.read_version == cached.resource_version || !Shows(cached, w.action);
}

void UnseenNodeWrites::Written(const NodeAction& action, const std::string& read_version) {
  Record(action, read_version, true);
}

void UnseenNodeWrites::MaybeWritten(const NodeAction& action, const std::string& read_version) {
  Record(action, read_version, false);
}

void UnseenNodeWrites::Record(const NodeAction& action, const std::string& read_version,
                              bool made) {
  if (!IsNodeWrite(action.type)) return;
  std::lock_guard lock(mu_);
  const MonoTime now = clock_.Monotonic();
  last_[action.node] = Write{action, read_version, now, made};
  if (now - swept_ < kHoldAtMost) return;
  std::erase_if(last_, [&](const auto& entry) { return now - entry.second.at >= kHoldAtMost; });
  swept_ = now;
}

size_t UnseenNodeWrites::size() const {
  std::lock_guard lock(mu_);
  return last_.size();
}

}  // namespace kcau::reconcilers
