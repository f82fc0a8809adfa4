#include "kube/resource.h"

namespace kcau::kube {

std::string Resource::GroupVersionPath() const {
  if (group.empty()) return "/api/" + version;
  return "/apis/" + group + "/" + version;
}

std::string Resource::ApiVersion() const {
  if (group.empty()) return version;
  return group + "/" + version;
}

std::string Resource::CollectionPath(const std::string& ns) const {
  if (namespaced && !ns.empty()) {
    return GroupVersionPath() + "/namespaces/" + ns + "/" + plural;
  }
  return GroupVersionPath() + "/" + plural;
}

std::string Resource::ItemPath(const std::string& ns, const std::string& name) const {
  return CollectionPath(ns) + "/" + name;
}

namespace resources {
const Resource& Nodes() {
  static const Resource r{"", "v1", "nodes", "Node", false};
  return r;
}
const Resource& Pods() {
  static const Resource r{"", "v1", "pods", "Pod", true};
  return r;
}
const Resource& Events() {
  static const Resource r{"", "v1", "events", "Event", true};
  return r;
}
const Resource& PodDisruptionBudgets() {
  static const Resource r{"policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true};
  return r;
}
const Resource& Leases() {
  static const Resource r{"coordination.k8s.io", "v1", "leases", "Lease", true};
  return r;
}
const Resource& UpdateRuns() {
  static const Resource r{"kcau.io", "v1alpha1", "updateruns", "UpdateRun", false};
  return r;
}
}  // namespace resources

}  // namespace kcau::kube
