#include "agent/node_agent.h"

#include <spdlog/spdlog.h>

#include "kube/kube_client.h"
#include "metrics/agent_metrics.h"

namespace kcau::agent {

namespace {

using kube::Json;

}  // namespace

NodeAgent::NodeAgent(kube::KubeClient& client, std::string node, Host& host,
                     const RequestVerifyKeys& keys, PluginFactory plugins,
                     const std::string& state_dir, metrics::AgentMetrics* metrics)
    : client_(client),
      node_(std::move(node)),
      metrics_(metrics),
      update_journal_(host, "update", state_dir),
      hook_journal_(host, "hook", state_dir),
      updates_(host, update_journal_, node_, keys, std::move(plugins),
               [this](const AgentResult& r) {
                 Status s = PublishAnnotation(kResultAnnotation, EncodeAgentResult(r));
                 if (s.ok()) Count("update", AgentStateName(r.state));
                 return s;
               }),
      hooks_(
          host, hook_journal_, node_, keys,
          [this](const std::string& ns, const std::string& name,
                 const std::string& key) -> StatusOr<std::string> {
            auto map = client_.Get({"", "v1", "configmaps", "ConfigMap", true}, {ns, name});
            if (!map.ok()) return map.status();
            if (!map->has_object_field("data") || !map->at("data").has_string_field(key)) {
              return NotFoundError("configmap " + ns + "/" + name + " has no key \"" + key + "\"");
            }
            return map->at("data").at(key).as_string();
          },
          [this](const HookResult& r) {
            Status s = PublishAnnotation(kHookResultAnnotation, EncodeHookResult(r));
            if (s.ok()) Count("hook", r.running ? "Running" : r.succeeded ? "Succeeded" : "Failed");
            return s;
          }) {}

void NodeAgent::Count(const char* request, const std::string& state) {
  if (metrics_ != nullptr) metrics_->CountAnswer(request, state);
}

Status NodeAgent::PublishAnnotation(const std::string& key, const std::string& value) {
  Json patch = Json::object();
  patch["metadata"]["annotations"][key] = Json::string(value);
  auto patched = client_.Patch(kube::resources::Nodes(), {"", node_}, kube::PatchType::kMerge,
                               patch, /*status_subresource=*/false);
  return patched.ok() ? Status::Ok() : patched.status();
}

Status NodeAgent::Announce(const std::string& version) {
  return PublishAnnotation(kAgentVersionAnnotation, version);
}

Status NodeAgent::Sync() {
  auto node = client_.Get(kube::resources::Nodes(), {"", node_});
  if (!node.ok()) return node.status();
  const Annotations annotations = NodeAnnotations(*node);
  Status hooks = hooks_.Handle(annotations);
  Status updates = updates_.Handle(annotations);
  if (!hooks.ok()) return hooks;
  return updates;
}

void NodeAgent::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

void NodeAgent::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
}

void NodeAgent::Run(Duration resync) {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, resync, [this] { return woken_ || stopping_; });
      if (stopping_) return;
      woken_ = false;
    }
    if (Status s = Sync(); !s.ok()) spdlog::warn("node {}: {}", node_, s.ToString());
  }
}

}  // namespace kcau::agent
