#include "crd/run_state.h"

#include <optional>

#include "crd/names.h"

namespace kcau::crd {

bool IsEndedPhase(RunPhase phase) {
  return phase == RunPhase::kSucceeded || phase == RunPhase::kFailed;
}

bool IsEnded(const UpdateRun& run) {
  return IsEndedPhase(run.status.phase) && run.status.observed_generation == run.generation;
}

bool IsEnded(const web::json::value& object) {
  if (!object.has_object_field("status") || !object.has_object_field("metadata")) return false;
  const auto& status = object.at("status");
  const auto& meta = object.at("metadata");
  if (!status.has_string_field("phase") || !status.has_integer_field("observedGeneration") ||
      !meta.has_integer_field("generation")) {
    return false;
  }
  const std::optional<RunPhase> phase = ParseRunPhase(status.at("phase").as_string());
  if (!phase) return false;
  UpdateRun run;
  run.generation = meta.at("generation").as_number().to_int64();
  run.status.phase = *phase;
  run.status.observed_generation = status.at("observedGeneration").as_number().to_int64();
  return IsEnded(run);
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
  if (object.has_object_field("status")) {
    web::json::value status = web::json::value::object();
    keep(object.at("status"), status, {"phase", "observedGeneration"});
    summary["status"] = status;
  }
  return summary;
}

}  // namespace kcau::crd
