#include "reconcilers/run_finalizer.h"

#include "crd/updaterun_types.h"

namespace kcau::reconcilers {

using kube::Json;

bool HasRunFinalizer(const Json& run) {
  if (!run.has_object_field("metadata") || !run.at("metadata").has_array_field("finalizers")) {
    return false;
  }
  for (const auto& f : run.at("metadata").at("finalizers").as_array()) {
    if (f.is_string() && f.as_string() == crd::kRunFinalizer) return true;
  }
  return false;
}

StatusOr<Json> SetRunFinalizer(kube::KubeClient& client, const Json& run, bool present) {
  const Json& meta = run.at("metadata");
  Json finalizers = Json::array();
  size_t n = 0;
  if (meta.has_array_field("finalizers")) {
    for (const auto& f : meta.at("finalizers").as_array()) {
      if (!(f.is_string() && f.as_string() == crd::kRunFinalizer)) finalizers[n++] = f;
    }
  }
  if (present) finalizers[n++] = Json::string(crd::kRunFinalizer);
  Json patch = Json::object();
  patch["metadata"]["finalizers"] = finalizers;
  patch["metadata"]["resourceVersion"] = meta.at("resourceVersion");
  return client.Patch(kube::resources::UpdateRuns(), {"", meta.at("name").as_string()},
                      kube::PatchType::kMerge, patch);
}

}  // namespace kcau::reconcilers
