#include "crd/run_state.h"

namespace kcau::crd {

bool IsEndedPhase(RunPhase phase) {
  return phase == RunPhase::kSucceeded || phase == RunPhase::kFailed;
}

bool IsEnded(const UpdateRun& run) { return IsEnded(run.status, run.generation); }

bool IsEnded(const UpdateRunStatus& status, int64_t generation) {
  return IsEndedPhase(status.phase) && status.observed_generation == generation;
}

web::json::value RunSummary(const web::json::value& object) {
  web::json::value summary = web::json::value::object();
  auto keep = [](const web::json::value& from, web::json::value& to,
                 std::initializer_list<const char*> fields) {
    for (const char* field : fields) {
      if (from.has_field(field)) to[field] = from.at(field);
    }
  };
  if (object.has_object_field("metadata")) {
    web::json::value meta = web::json::value::object();
    keep(object.at("metadata"), meta, {"name", "namespace", "resourceVersion", "generation"});
    summary["metadata"] = meta;
  }
  return summary;
}

}  // namespace kcau::crd
