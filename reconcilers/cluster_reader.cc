#include "reconcilers/cluster_reader.h"

#include "kube/kube_client.h"
#include "reconcilers/pod_rules.h"

namespace kcau::reconcilers {

namespace {

using kube::Json;

std::string StringAt(const Json& obj, const char* a, const char* b) {
  if (!obj.has_object_field(a)) return "";
  const Json& inner = obj.at(a);
  return inner.has_string_field(b) ? inner.at(b).as_string() : "";
}

NodeView NodeViewFromJson(const Json& node) {
  NodeView v;
  const Json& meta = node.at("metadata");
  v.name = meta.at("name").as_string();
  if (meta.has_object_field("labels")) {
    for (const auto& [key, value] : meta.at("labels").as_object()) {
      if (value.is_string()) v.labels[key] = value.as_string();
    }
  }
  if (meta.has_object_field("annotations")) {
    const Json& ann = meta.at("annotations");
    if (ann.has_string_field(agent::kRequestAnnotation)) {
      v.request_token = ann.at(agent::kRequestAnnotation).as_string();
    }
    if (ann.has_string_field(agent::kResultAnnotation)) {
      v.agent_result = agent::DecodeAgentResult(ann.at(agent::kResultAnnotation).as_string());
    }
  }
  if (node.has_object_field("spec") && node.at("spec").has_boolean_field("unschedulable")) {
    v.unschedulable = node.at("spec").at("unschedulable").as_bool();
  }
  if (node.has_object_field("status")) {
    const Json& status = node.at("status");
    v.boot_id = StringAt(status, "nodeInfo", "bootID");
    if (status.has_array_field("conditions")) {
      for (const auto& c : status.at("conditions").as_array()) {
        if (c.has_string_field("type") && c.at("type").as_string() == "Ready") {
          v.ready = c.has_string_field("status") && c.at("status").as_string() == "True";
        }
      }
    }
  }
  return v;
}

bool Evictable(const Json& pod) { return !IsDaemonSetOrMirrorPod(pod); }

}  // namespace

StatusOr<std::vector<NodeView>> ReadNodes(kube::KubeClient& client) {
  auto list = client.List(kube::resources::Nodes(), "", {});
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

StatusOr<int> CountEvictablePods(kube::KubeClient& client, const std::string& node) {
  auto list = client.List(kube::resources::Pods(), "", {"", "spec.nodeName=" + node});
  if (!list.ok()) return list.status();
  int count = 0;
  for (const auto& pod : list->items) count += Evictable(pod) ? 1 : 0;
  return count;
}

StatusOr<std::map<std::string, int>> CountEvictablePodsPerNode(kube::KubeClient& client) {
  auto list = client.List(kube::resources::Pods(), "", {});
  if (!list.ok()) return list.status();
  std::map<std::string, int> counts;
  for (const auto& pod : list->items) {
    const std::string node = StringAt(pod, "spec", "nodeName");
    if (!node.empty() && Evictable(pod)) ++counts[node];
  }
  return counts;
}

}  // namespace kcau::reconcilers
