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

}  // namespace kcau::crd
