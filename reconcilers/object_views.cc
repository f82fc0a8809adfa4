#include "reconcilers/object_views.h"

#include <utility>

#include "agent/protocol.h"

namespace kcau::reconcilers {

namespace {

using kube::Json;

std::string StringAt(const Json& obj, const char* a, const char* b) {
  if (!obj.has_object_field(a)) return "";
  const Json& inner = obj.at(a);
  return inner.has_string_field(b) ? inner.at(b).as_string() : "";
}

// Of the updates an agent staged, the controller asks only whether there were any (the
// titles installed are in `titles`): the first is kept, where 5,000 nodes' whole lists, the
// round before's again in `previous`, were ~1.5 MiB of the node cache.
void KeepWhetherStaged(agent::AgentResult& result) {
  if (result.staged.size() > 1) {
    result.staged.resize(1);
    result.staged.shrink_to_fit();
  }
  for (auto& before : result.previous) KeepWhetherStaged(before);
}

}  // namespace

NodeView NodeViewFromJson(const Json& node) {
  NodeView v;
  const Json& meta = node.at("metadata");
  v.name = meta.at("name").as_string();
  if (meta.has_string_field("resourceVersion")) {
    v.resource_version = meta.at("resourceVersion").as_string();
  }
  if (meta.has_object_field("labels")) {
    std::map<std::string, std::string> labels;
    for (const auto& [key, value] : meta.at("labels").as_object()) {
      if (value.is_string()) labels[key] = value.as_string();
    }
    v.labels = NodeLabels(labels);
  }
  if (meta.has_object_field("annotations")) {
    const Json& ann = meta.at("annotations");
    if (ann.has_string_field(agent::kRequestAnnotation)) {
      v.request_token = ann.at(agent::kRequestAnnotation).as_string();
    }
    if (ann.has_string_field(agent::kRescanRequestAnnotation)) {
      v.rescan_request_token = ann.at(agent::kRescanRequestAnnotation).as_string();
    }
    if (ann.has_string_field(agent::kResultAnnotation)) {
      auto result = agent::DecodeAgentResult(ann.at(agent::kResultAnnotation).as_string());
      if (result) KeepWhetherStaged(*result);
      v.agent_result = std::move(result);
    }
    if (ann.has_string_field(agent::kCordonedByAnnotation)) {
      v.cordoned_by = ann.at(agent::kCordonedByAnnotation).as_string();
    }
    if (ann.has_string_field(agent::kHookRequestAnnotation)) {
      auto request = agent::DecodeHookRequest(ann.at(agent::kHookRequestAnnotation).as_string());
      if (request) v.hook_request_token = request->token;
    }
    if (ann.has_string_field(agent::kHookResultAnnotation)) {
      v.hook_result = agent::DecodeHookResult(ann.at(agent::kHookResultAnnotation).as_string());
    }
    if (ann.has_string_field(agent::kAgentVersionAnnotation)) {
      v.agent_version = ann.at(agent::kAgentVersionAnnotation).as_string();
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
        if (!c.has_string_field("type")) continue;
        const std::string type = c.at("type").as_string();
        const bool is_true = c.has_string_field("status") && c.at("status").as_string() == "True";
        if (type == "Ready") v.ready = is_true;
        if (is_true && type.size() > 8 && type.compare(type.size() - 8, 8, "Pressure") == 0) {
          v.pressure.push_back(type);
        }
      }
    }
  }
  return v;
}

std::string NodeNameOfPod(const Json& pod) { return StringAt(pod, "spec", "nodeName"); }

}  // namespace kcau::reconcilers
