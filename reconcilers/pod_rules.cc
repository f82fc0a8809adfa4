#include "reconcilers/pod_rules.h"

namespace kcau::reconcilers {

bool IsDaemonSetOrMirrorPod(const kube::Json& pod) {
  if (!pod.has_object_field("metadata")) return false;
  const auto& meta = pod.at("metadata");
  if (meta.has_object_field("annotations") &&
      meta.at("annotations").has_field("kubernetes.io/config.mirror")) {
    return true;
  }
  if (meta.has_array_field("ownerReferences")) {
    for (const auto& ref : meta.at("ownerReferences").as_array()) {
      if (ref.has_string_field("kind") && ref.at("kind").as_string() == "DaemonSet") return true;
    }
  }
  return false;
}

bool IsTerminating(const kube::Json& pod) {
  return pod.has_object_field("metadata") &&
         pod.at("metadata").has_string_field("deletionTimestamp");
}

}  // namespace kcau::reconcilers
