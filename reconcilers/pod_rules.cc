#include "reconcilers/pod_rules.h"

#include "reconcilers/object_views.h"

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

bool HasController(const kube::Json& pod) {
  if (!pod.has_object_field("metadata") || !pod.at("metadata").has_array_field("ownerReferences")) {
    return false;
  }
  for (const auto& ref : pod.at("metadata").at("ownerReferences").as_array()) {
    if (ref.has_boolean_field("controller") && ref.at("controller").as_bool()) return true;
  }
  return false;
}

std::string PodKey(const kube::Json& pod) {
  const auto& meta = pod.at("metadata");
  return (meta.has_string_field("namespace") ? meta.at("namespace").as_string() : "") + "/" +
         meta.at("name").as_string();
}

PodView PodViewFromJson(const kube::Json& pod) {
  PodView view;
  if (pod.has_object_field("metadata")) {
    const auto& meta = pod.at("metadata");
    if (meta.has_string_field("namespace")) view.ns = meta.at("namespace").as_string();
    if (meta.has_string_field("name")) view.name = meta.at("name").as_string();
  }
  view.node = NodeNameOfPod(pod);
  view.daemon_set_or_mirror = IsDaemonSetOrMirrorPod(pod);
  view.terminating = IsTerminating(pod);
  view.has_controller = HasController(pod);
  return view;
}

}  // namespace kcau::reconcilers
