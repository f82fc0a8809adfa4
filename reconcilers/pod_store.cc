#include "reconcilers/pod_store.h"

#include <algorithm>
#include <charconv>

#include "kube/object_meta.h"

namespace kcau::reconcilers {

namespace {

// `text` as a number when it is one written the canonical way (digits, no leading zero, no
// more than fit), so that the number's text is `text` again.
std::optional<uint64_t> CanonicalNumber(std::string_view text) {
  if (text.empty() || text.size() > 19 || (text.size() > 1 && text[0] == '0')) {
    return std::nullopt;
  }
  uint64_t n = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
}

}  // namespace

void PodStore::SetVersionLocked(Entry& pod, const std::string& version) {
  Pod& kept = pod.second;
  if (const std::optional<uint64_t> n = CanonicalNumber(version)) {
    kept.version = *n;
    if (kept.traits.text_version) text_versions_.erase(&pod);
    kept.traits.text_version = false;
    return;
  }
  text_versions_[&pod] = version;
  kept.traits.text_version = true;
}

std::string PodStore::VersionLocked(const Entry& pod) const {
  return pod.second.traits.text_version ? text_versions_.at(&pod)
                                        : std::to_string(pod.second.version);
}

uint32_t PodStore::NodeIdLocked(const std::string& node) {
  auto [it, added] = node_ids_.try_emplace(node, static_cast<uint32_t>(node_names_.size()));
  if (added) {
    node_names_.push_back(node);
    on_node_.emplace_back();
  }
  return it->second;
}

void PodStore::UnindexLocked(const Entry& pod) {
  auto& on = on_node_[pod.second.node];
  if (auto it = std::find(on.begin(), on.end(), &pod); it != on.end()) on.erase(it);
  // A drained node's list goes with its last pod, not with the store.
  if (on.empty()) std::vector<const Entry*>().swap(on);
}

void PodStore::Apply(const std::string& type, const kube::Json& pod) {
  const PodView view = PodViewFromJson(pod);
  std::string key = view.Key();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pods_.find(key);
  if (type == "DELETED") {
    if (it != pods_.end()) {
      UnindexLocked(*it);
      text_versions_.erase(&*it);
      pods_.erase(it);
    }
    return;
  }
  const uint32_t node = NodeIdLocked(view.node);
  // A pod's node changes once, when it is scheduled: it moves to its new node's list.
  bool indexed = false;
  if (it == pods_.end()) {
    it = pods_.emplace(FrozenString(key), Pod{}).first;
  } else if (it->second.node == node) {
    indexed = true;
  } else {
    UnindexLocked(*it);
  }
  Pod& kept = it->second;
  SetVersionLocked(*it, kube::ResourceVersionOf(pod));
  kept.node = node;
  kept.traits.daemon_set_or_mirror = view.daemon_set_or_mirror;
  kept.traits.terminating = view.terminating;
  kept.traits.has_controller = view.has_controller;
  if (!indexed) on_node_[node].push_back(&*it);
}

std::vector<PodView> PodStore::On(const std::string& node) const {
  std::vector<PodView> pods;
  std::lock_guard<std::mutex> lock(mu_);
  auto id = node_ids_.find(node);
  if (id == node_ids_.end()) return pods;
  std::vector<const Entry*> on = on_node_[id->second];
  std::sort(on.begin(), on.end(),
            [](const Entry* a, const Entry* b) { return a->first.view() < b->first.view(); });
  pods.reserve(on.size());
  for (const Entry* pod : on) {
    const std::string_view key = pod->first;
    const size_t slash = key.find('/');
    const Traits& traits = pod->second.traits;
    pods.push_back({std::string(key.substr(0, slash)), std::string(key.substr(slash + 1)), node,
                    traits.daemon_set_or_mirror, traits.terminating, traits.has_controller});
  }
  return pods;
}

std::map<std::string, int> PodStore::EvictablePerNode() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, int> counts;
  for (uint32_t node = 1; node < on_node_.size(); ++node) {
    const int evictable = static_cast<int>(
        std::count_if(on_node_[node].begin(), on_node_[node].end(),
                      [](const Entry* pod) { return !pod->second.traits.daemon_set_or_mirror; }));
    if (evictable > 0) counts[node_names_[node]] = evictable;
  }
  return counts;
}

std::optional<std::string> PodStore::VersionOf(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pods_.find(key);
  if (it == pods_.end()) return std::nullopt;
  return VersionLocked(*it);
}

void PodStore::ForEachKey(
    const std::function<void(const std::string& key, const std::string& version)>& visit) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string key;  // reused: one allocation for all, not one a pod
  for (const Entry& pod : pods_) {
    key.assign(pod.first.view());
    visit(key, VersionLocked(pod));
  }
}

size_t PodStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pods_.size();
}

}  // namespace kcau::reconcilers
