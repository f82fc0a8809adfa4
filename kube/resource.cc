#include "kube/resource.h"

namespace kcau::kube {

std::string EscapePathSegment(const std::string& segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(segment.size());
  for (const char ch : segment) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    }
  }
  return out;
}

std::string Resource::GroupVersionPath() const {
  if (group.empty()) return "/api/" + EscapePathSegment(version);
  return "/apis/" + EscapePathSegment(group) + "/" + EscapePathSegment(version);
}

std::string Resource::ApiVersion() const {
  if (group.empty()) return version;
  return group + "/" + version;
}

std::string Resource::CollectionPath(const std::string& ns) const {
  if (namespaced && !ns.empty()) {
    return GroupVersionPath() + "/namespaces/" + EscapePathSegment(ns) + "/" +
           EscapePathSegment(plural);
  }
  return GroupVersionPath() + "/" + EscapePathSegment(plural);
}

std::string Resource::ItemPath(const std::string& ns, const std::string& name) const {
  return CollectionPath(ns) + "/" + EscapePathSegment(name);
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
