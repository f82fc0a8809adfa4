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

void AddIfEvictable(const PodView& pod, PodsToEvict& pods) {
  if (pod.daemon_set_or_mirror) return;
  ++pods.count;
  if (!pod.has_controller) pods.unmanaged.push_back(pod.Key());
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

StatusOr<std::vector<PodView>> ApiClusterSource::PodsOn(const std::string& node) {
  auto list = client_.List(kube::resources::Pods(), "", {"", "spec.nodeName=" + node});
  if (!list.ok()) return list.status();
  std::vector<PodView> pods;
  pods.reserve(list->items.size());
  for (const auto& item : list->items) pods.push_back(PodViewFromJson(item));
  return pods;
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
  return node_store_.All();
}

StatusOr<std::vector<PodView>> CachedClusterSource::PodsOn(const std::string& node) {
  if (Status s = RequireSynced(pods_, "pods"); !s.ok()) return s;
  return pod_store_.On(node);
}

StatusOr<std::map<std::string, int>> CachedClusterSource::EvictablePodsPerNode() {
  if (Status s = RequireSynced(pods_, "pods"); !s.ok()) return s;
  return pod_store_.EvictablePerNode();
}

}  // namespace kcau::reconcilers
