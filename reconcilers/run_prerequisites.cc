#include "reconcilers/run_prerequisites.h"

#include <utility>

#include "agent/protocol.h"
#include "kube/kube_client.h"

namespace kcau::reconcilers {

StatusOr<std::string> MissingPrerequisite(kube::KubeClient& client, const crd::UpdateRunSpec& spec,
                                          const std::string& ns) {
  if (spec.force_self_update.value_or(false)) {
    auto ds =
        client.Get({"apps", "v1", "daemonsets", "DaemonSet", true}, {ns, agent::kAgentDaemonSet});
    if (!ds.ok() && ds.status().code() != StatusCode::kNotFound) return ds.status();
    if (!ds.ok()) {
      return std::string("spec.forceSelfUpdate: the agents' daemonset \"") +
             agent::kAgentDaemonSet + "\" not found in namespace \"" + ns + "\"";
    }
  }
  for (const auto& [hook, field] : {std::pair{&spec.pre_update_hook, "spec.preUpdateHook"},
                                    std::pair{&spec.post_update_hook, "spec.postUpdateHook"}}) {
    if (!*hook) continue;
    auto map = client.Get({"", "v1", "configmaps", "ConfigMap", true}, {ns, (*hook)->config_map});
    if (!map.ok() && map.status().code() != StatusCode::kNotFound) return map.status();
    if (!map.ok()) {
      return std::string(field) + ".configMap: configmap \"" + (*hook)->config_map +
             "\" not found in namespace \"" + ns + "\"";
    }
    if (!map->has_object_field("data") || !map->at("data").has_string_field((*hook)->key)) {
      return std::string(field) + ".key: configmap \"" + (*hook)->config_map + "\" has no key \"" +
             (*hook)->key + "\"";
    }
  }
  return std::string();
}

}  // namespace kcau::reconcilers
