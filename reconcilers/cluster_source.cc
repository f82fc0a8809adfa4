#include "reconcilers/cluster_source.h"

#include "kube/informer.h"
#include "kube/kube_client.h"
#include "reconcilers/object_views.h"
#include "reconcilers/pod_rules.h"

namespace kcau::reconcilers {

namespace {

using kube::Json;

// A not-yet-synced cache would make a node look empty of pods, or missing: refuse instead.
Status RequireSynced(const kube::Informer& informer, const char* what) {
  if (informer.HasSynced()) return Status::Ok();
  return UnavailableError(std::string(what) + " cache not synced yet");
}

void AddIfEvictable(const Json& pod, PodsToEvict& pods) {
  if (IsDaemonSetOrMirrorPod(pod)) return;
  ++pods.count;
  if (!HasController(pod)) pods.unmanaged.push_back(PodKey(pod));
}

}  // namespace

StatusOr<std::vector<NodeView>> ApiClusterSource::Nodes() {
  auto list = client_.List(kube::resources::Nodes(), "", {});
  if (!list.ok()) return list.status();
  std::vector<NodeView> views;
  views.reserve(list->items.size());
  try {
    for (const auto& item : list->items) views.push_back(NodeViewFromJson(item));
  } catch (const std::exception& e) {
    // A Node without metadata.name is not something an API server returns.
    return InternalError(std::string("malformed Node in list: ") + e.what());
  }
  return views;
}

StatusOr<PodsToEvict> ClusterSource::EvictablePodsOn(const std::string& node) {
  auto on_node = PodsOn(node);
  if (!on_node.ok()) return on_node.status();
  PodsToEvict pods;
  for (const auto& pod : *on_node) AddIfEvictable(pod, pods);
  return pods;
}

StatusOr<std::vector<Json>> ApiClusterSource::PodsOn(const std::string& node) {
  auto list = client_.List(kube::resources::Pods(), "", {"", "spec.nodeName=" + node});
  if (!list.ok()) return list.status();
  return std::move(list->items);
}

StatusOr<std::map<std::string, int>> ApiClusterSource::EvictablePodsPerNode() {
  auto list = client_.List(kube::resources::Pods(), "", {});
  if (!list.ok()) return list.status();
  std::map<std::string, int> counts;
  for (const auto& pod : list->items) {
    const std::string node = NodeNameOfPod(pod);
    if (!node.empty() && !IsDaemonSetOrMirrorPod(pod)) ++counts[node];
  }
  return counts;
}

StatusOr<std::vector<NodeView>> CachedClusterSource::Nodes() {
  if (Status s = RequireSynced(nodes_, "nodes"); !s.ok()) return s;
  std::vector<NodeView> views;
  views.reserve(nodes_.Size());
  std::string error;
  std::lock_guard lock(views_mu_);  // always taken before the informer's: one order
  const uint64_t call = ++calls_;
  nodes_.Visit([&](const Json& node) {
    try {
      const Json& meta = node.at("metadata");
      const std::string& rv = meta.has_string_field("resourceVersion")
                                  ? meta.at("resourceVersion").as_string()
                                  : std::string();
      ConvertedNode& converted = views_[meta.at("name").as_string()];
      // Without a resourceVersion nothing says it is unchanged: convert every time.
      if (rv.empty() || converted.seen == 0 || converted.resource_version != rv) {
        converted.view = NodeViewFromJson(node);
        converted.resource_version = rv;
      }
      converted.seen = call;
      views.push_back(converted.view);
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  std::erase_if(views_, [&](const auto& entry) { return entry.second.seen != call; });
  if (!error.empty()) return InternalError("malformed Node in cache: " + error);
  return views;
}

StatusOr<std::vector<Json>> CachedClusterSource::PodsOn(const std::string& node) {
  if (Status s = RequireSynced(pods_, "pods"); !s.ok()) return s;
  // Without the index every pod would look absent, and a drain would end at once.
  if (!pods_.Indexed()) return InternalError("pods cache not indexed by node (PodNodeIndex)");
  std::vector<Json> pods;
  pods_.VisitIndexed(node, [&](const Json& pod) { pods.push_back(pod); });
  return pods;
}

std::string CachedClusterSource::PodNodeIndex(const Json& pod) { return NodeNameOfPod(pod); }

StatusOr<std::map<std::string, int>> CachedClusterSource::EvictablePodsPerNode() {
  if (Status s = RequireSynced(pods_, "pods"); !s.ok()) return s;
  std::map<std::string, int> counts;
  pods_.Visit([&](const Json& pod) {
    const std::string node = NodeNameOfPod(pod);
    if (!node.empty() && !IsDaemonSetOrMirrorPod(pod)) ++counts[node];
  });
  return counts;
}

}  // namespace kcau::reconcilers
