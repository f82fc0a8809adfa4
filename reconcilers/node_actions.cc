#include "reconcilers/node_actions.h"

#include <map>
#include <vector>

#include "agent/protocol.h"
#include "agent/request_signature.h"
#include "kube/disruption_budget.h"
#include "kube/kube_client.h"
#include "reconcilers/cluster_source.h"
#include "reconcilers/pod_rules.h"

namespace kcau::reconcilers {

namespace {

using kube::Json;

const kube::Resource kDaemonSets{"apps", "v1", "daemonsets", "DaemonSet", true};

// `run` ("RUN/UID") goes into kcau.io/cordoned-by with a cordon; an uncordon removes it.
Status SetUnschedulable(kube::KubeClient& client, const std::string& node, bool value,
                        const std::string& run) {
  Json patch = Json::object();
  patch["spec"]["unschedulable"] = Json::boolean(value);
  patch["metadata"]["annotations"][agent::kCordonedByAnnotation] =
      value ? Json::string(run) : Json::null();
  auto r = client.Patch(kube::resources::Nodes(), {"", node}, kube::PatchType::kMerge, patch);
  return r.ok() ? Status::Ok() : r.status();
}

std::string EncodePlugins(const std::vector<crd::PluginSpec>& plugins) {
  Json list = Json::array();
  size_t i = 0;
  for (const auto& p : plugins) {
    Json entry = Json::object();
    entry["name"] = Json::string(p.name);
    Json args = Json::object();
    for (const auto& [k, v] : p.arguments) args[k] = Json::string(v);
    entry["arguments"] = args;
    list[i++] = entry;
  }
  return list.serialize();
}

// The request and its signature go in one patch, so an agent never sees one without the
// other; a covered annotation the request does not have is removed (null in a merge patch),
// so that nothing of an earlier request leaks into this one.
Status WriteSignedRequest(kube::KubeClient& client, const std::string& node,
                          agent::RequestKind kind, const agent::Annotations& request,
                          const agent::RequestSigningKey& signing_key) {
  auto signature = signing_key.Sign(kind, node, request);
  if (!signature.ok()) return signature.status();
  Json patch = Json::object();
  Json& annotations = patch["metadata"]["annotations"];
  for (const auto& key : agent::SignedAnnotationKeys(kind)) {
    auto it = request.find(key);
    annotations[key] = it == request.end() ? Json::null() : Json::string(it->second);
  }
  annotations[agent::SignatureAnnotation(kind)] = Json::string(*signature);
  auto r = client.Patch(kube::resources::Nodes(), {"", node}, kube::PatchType::kMerge, patch);
  return r.ok() ? Status::Ok() : r.status();
}

Status RequestUpdate(kube::KubeClient& client, const NodeAction& action,
                     const crd::UpdateRunSpec& spec, const agent::RequestSigningKey& signing_key) {
  agent::Annotations request;
  request[agent::kRequestAnnotation] = action.token;
  std::vector<crd::PluginSpec> plugins = spec.plugins;
  if (action.plugin >= 0 && action.plugin < static_cast<int>(plugins.size())) {
    plugins = {spec.plugins[action.plugin]};  // separateReboots: this round's plug-in alone
  }
  request[agent::kPluginsAnnotation] = EncodePlugins(plugins);
  Json options = Json::object();
  options["runPluginsSerially"] = Json::boolean(spec.run_plugins_serially.value_or(false));
  options["stopOnPluginFailure"] = Json::boolean(spec.stop_on_plugin_failure.value_or(false));
  options["osRollingUpgrade"] = Json::boolean(spec.os_rolling_upgrade.value_or(false));
  request[agent::kOptionsAnnotation] = options.serialize();
  if (action.force_reboot) request[agent::kForceRebootAnnotation] = "true";
  request[agent::kRebootModeAnnotation] = AgentRebootMode(spec);
  if (action.scan) request[agent::kModeAnnotation] = agent::kScanMode;
  if (!action.rescan_token.empty()) request[agent::kRescanRequestAnnotation] = action.rescan_token;
  return WriteSignedRequest(client, action.node, agent::RequestKind::kUpdate, request, signing_key);
}

// Takes back an update request the run gave up on: the request and its signature go in one
// patch (null removes an annotation), so the agent finds no request at all.
Status WithdrawRequest(kube::KubeClient& client, const std::string& node) {
  Json patch = Json::object();
  Json& annotations = patch["metadata"]["annotations"];
  for (const auto& key : agent::SignedAnnotationKeys(agent::RequestKind::kUpdate)) {
    annotations[key] = Json::null();
  }
  annotations[agent::SignatureAnnotation(agent::RequestKind::kUpdate)] = Json::null();
  auto r = client.Patch(kube::resources::Nodes(), {"", node}, kube::PatchType::kMerge, patch);
  return r.ok() ? Status::Ok() : r.status();
}

// `force` (drain Force, after the drain timeout): a pod whose eviction a PodDisruptionBudget
// refuses is deleted instead, as ForcePauseAndDrain moves roles that cannot move.
Status Drain(kube::KubeClient& client, ClusterSource& cluster, const std::string& node, bool force,
             bool evict_unmanaged, const std::optional<kube::ObjectKey>& own_pod,
             ActionOutcome& outcome, const std::function<void()>& before_eviction) {
  auto pods = cluster.PodsOn(node);
  if (!pods.ok()) return pods.status();
  std::vector<kube::ObjectKey> to_evict;
  bool own_pod_here = false;
  for (const auto& pod : *pods) {
    if (pod.daemon_set_or_mirror || pod.terminating) continue;
    // Nothing recreates a pod without a controller: as kubectl drain, only with --force
    // (drain: Force). The planner names such pods in the node's status either way.
    if (!evict_unmanaged && !pod.has_controller) continue;
    kube::ObjectKey key{pod.ns, pod.name};
    if (own_pod && key.ns == own_pod->ns && key.name == own_pod->name) {
      own_pod_here = true;
      continue;
    }
    to_evict.push_back(key);
  }
  // Our own pod goes last: evicting it stops this controller, so everything else is moved
  // first and the next controller (or this one, restarted elsewhere) finds only it left.
  const bool others = !to_evict.empty();
  if (own_pod_here && !others) to_evict.push_back(*own_pod);
  outcome.own_pod_left = outcome.own_pod_left || (own_pod_here && others);
  std::vector<std::string>& refused = outcome.eviction_refusals[node];
  refused.clear();
  for (const auto& key : to_evict) {
    if (before_eviction) before_eviction();
    Status s = client.Evict(key);
    if (s.ok()) {
      ++outcome.pods_evicted;
    } else if (s.code() == StatusCode::kTooManyRequests && force) {
      Status deleted = client.Delete(kube::resources::Pods(), key);
      if (!deleted.ok() && deleted.code() != StatusCode::kNotFound) return deleted;
      if (deleted.ok()) ++outcome.pods_deleted;
    } else if (s.code() == StatusCode::kTooManyRequests) {
      // A PodDisruptionBudget says not now: the planner looks again shortly, and status
      // names the pod and its budget meanwhile.
      ++outcome.evictions_blocked;
      const std::string budget = kube::DisruptionBudgetOf(s);
      refused.push_back(key.ns + "/" + key.name +
                        (budget.empty() ? "" : " (budget " + key.ns + "/" + budget + ")"));
    } else if (s.code() != StatusCode::kNotFound) {
      return s;
    }
  }
  return Status::Ok();
}

// The hook request names the ConfigMap in the controller's namespace and whom to run as.
Status RunHook(kube::KubeClient& client, const NodeAction& action, const crd::UpdateRunSpec& spec,
               const std::string& hook_namespace, const agent::RequestSigningKey& signing_key) {
  const auto& hook = action.hook == "pre" ? spec.pre_update_hook : spec.post_update_hook;
  if (!hook) return InvalidArgumentError("no " + action.hook + " hook in the run's spec");
  agent::HookRequest request;
  request.token = action.token;
  request.hook = action.hook;
  request.config_map = hook_namespace + "/" + hook->config_map;
  request.key = hook->key;
  request.timeout_seconds = hook->timeout_seconds.value_or(kDefaultHookTimeoutSeconds);
  if (spec.hook_runner) {
    request.service_account = spec.hook_runner->service_account_name;
    request.run_as_user = spec.hook_runner->run_as_user;
  }
  return WriteSignedRequest(client, action.node, agent::RequestKind::kHook,
                            {{agent::kHookRequestAnnotation, agent::EncodeHookRequest(request)}},
                            signing_key);
}

// FailbackMode Policy, as CAU fails roles back by their policy: for each workload whose pods
// are labelled kcau.io/failback=true and that has none on `node`, one pod is evicted from the
// node that runs the most of them, so the scheduler can put it back on the updated node.
// Evictions honour PodDisruptionBudgets; one refused is simply not done (best effort).
Status Failback(kube::KubeClient& client, const std::string& node, ActionOutcome& outcome) {
  auto pods = client.List(kube::resources::Pods(), "", {"kcau.io/failback=true", ""});
  if (!pods.ok()) return pods.status();
  std::map<std::string, std::vector<const Json*>> by_owner;  // owner uid -> its pods
  for (const auto& p : pods->items) {
    const auto& meta = p.at("metadata");
    if (IsTerminating(p) || !meta.has_array_field("ownerReferences")) continue;
    by_owner[meta.at("ownerReferences").at(0).at("uid").as_string()].push_back(&p);
  }
  for (const auto& [owner, owned] : by_owner) {
    std::map<std::string, std::vector<const Json*>> by_node;
    for (const Json* p : owned) by_node[p->at("spec").at("nodeName").as_string()].push_back(p);
    if (by_node.count(node)) continue;  // already has one here
    auto busiest = by_node.begin();
    for (auto it = by_node.begin(); it != by_node.end(); ++it) {
      if (it->second.size() > busiest->second.size()) busiest = it;
    }
    if (busiest == by_node.end() || busiest->second.size() < 2) continue;  // nothing to spare
    const auto& meta = busiest->second.front()->at("metadata");
    Status s = client.Evict({meta.at("namespace").as_string(), meta.at("name").as_string()});
    if (s.ok()) {
      ++outcome.pods_failed_back;
    } else if (s.code() != StatusCode::kTooManyRequests && s.code() != StatusCode::kNotFound) {
      return s;
    }
  }
  return Status::Ok();
}

// ForceSelfUpdate: the agents' pod template carries the version wanted; changing it makes
// the DaemonSet controller roll every agent.
Status RollAgents(kube::KubeClient& client, const NodeAction& action,
                  const std::string& agent_namespace) {
  Json patch = Json::object();
  patch["spec"]["template"]["metadata"]["annotations"][agent::kAgentVersionAnnotation] =
      Json::string(action.token);
  auto r = client.Patch(kDaemonSets, {agent_namespace, agent::kAgentDaemonSet},
                        kube::PatchType::kMerge, patch);
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace

void MergeActionOutcome(const ActionOutcome& part, ActionOutcome& total) {
  total.pods_evicted += part.pods_evicted;
  total.evictions_blocked += part.evictions_blocked;
  total.pods_deleted += part.pods_deleted;
  total.pods_failed_back += part.pods_failed_back;
  total.own_pod_left = total.own_pod_left || part.own_pod_left;
  for (const auto& [node, refused] : part.eviction_refusals) {
    total.eviction_refusals[node] = refused;
  }
}

std::string AgentRebootMode(const crd::UpdateRunSpec& spec) {
  switch (spec.reboot_mode.value_or(crd::RebootMode::kOrchestratorDefault)) {
    case crd::RebootMode::kSoftReboot:
      return "soft";
    case crd::RebootMode::kPluginCustomReboot:
      return "plugin";
    case crd::RebootMode::kFullReboot:
      return "full";
    case crd::RebootMode::kOrchestratorDefault:
      break;
  }
  return spec.attempt_soft_reboot.value_or(false) ? "soft" : "full";
}

Status ApplyNodeAction(kube::KubeClient& client, ClusterSource& cluster, const NodeAction& action,
                       const crd::UpdateRunSpec& spec, const std::string& hook_namespace,
                       const agent::RequestSigningKey& signing_key, ActionOutcome& outcome,
                       const std::optional<kube::ObjectKey>& own_pod,
                       const std::function<void()>& before_eviction) {
  switch (action.type) {
    case ActionType::kCordon:
      return SetUnschedulable(client, action.node, true, action.token);
    case ActionType::kUncordon:
      return SetUnschedulable(client, action.node, false, "");
    case ActionType::kDrain:
      return Drain(client, cluster, action.node, false, spec.drain == crd::DrainMode::kForce,
                   own_pod, outcome, before_eviction);
    case ActionType::kForceDrain:
      return Drain(client, cluster, action.node, true, true, own_pod, outcome, before_eviction);
    case ActionType::kRequestUpdate:
      return RequestUpdate(client, action, spec, signing_key);
    case ActionType::kRunHook:
      return RunHook(client, action, spec, hook_namespace, signing_key);
    case ActionType::kRollAgents:
      return RollAgents(client, action, hook_namespace);
    case ActionType::kFailback:
      return Failback(client, action.node, outcome);
    case ActionType::kWithdrawRequest:
      return WithdrawRequest(client, action.node);
  }
  return InternalError("unknown node action");
}

}  // namespace kcau::reconcilers
