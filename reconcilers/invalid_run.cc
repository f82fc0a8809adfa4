#include "reconcilers/invalid_run.h"

#include <spdlog/spdlog.h>

#include "crd/updaterun_codec.h"
#include "kube/kube_client.h"
#include "reconcilers/conditions.h"
#include "reconcilers/kstatus_conditions.h"
#include "reconcilers/rollout_planner.h"

namespace kcau::reconcilers {

namespace {

using kube::Json;

int64_t GenerationOf(const Json& obj) {
  if (obj.has_object_field("metadata") && obj.at("metadata").has_integer_field("generation")) {
    return obj.at("metadata").at("generation").as_number().to_int64();
  }
  return 0;
}

}  // namespace

PassOutcome EndInvalidRun(kube::KubeClient& client, EventRecorder& events,
                          const std::string& run_name, const Json& object,
                          const std::string& reason, const std::string& message, TimePoint now) {
  crd::UpdateRunStatus failed;
  failed.phase = crd::RunPhase::kFailed;
  const int64_t generation = GenerationOf(object);
  failed.observed_generation = generation;
  SetCondition(failed.conditions, crd::kConditionFailed, ConditionStatus::kTrue, reason, message,
               generation, now);
  SetCondition(failed.conditions, crd::kConditionProgressing, ConditionStatus::kFalse, reason,
               message, generation, now);
  SetCondition(failed.conditions, crd::kConditionSucceeded, ConditionStatus::kFalse, reason,
               message, generation, now);
  SetKstatusConditions(failed, generation, now);
  const Json& old_status = object.has_object_field("status") ? object.at("status") : Json();
  const bool same = old_status.is_object() && old_status.has_integer_field("observedGeneration") &&
                    old_status.at("observedGeneration").as_number().to_int64() == generation &&
                    old_status.has_string_field("phase") &&
                    old_status.at("phase").as_string() == "Failed";
  if (same) return PassOutcome::Done(ReconcileResult::Terminal());
  failed.revision = (old_status.is_object() && old_status.has_integer_field("revision")
                         ? old_status.at("revision").as_number().to_int64()
                         : 0) +
                    1;
  Json updated = object;
  updated["status"] = crd::EncodeUpdateRunStatus(failed);
  auto written = client.UpdateStatus(kube::resources::UpdateRuns(), updated);
  if (!written.ok()) {
    return PassOutcome::WriteFailed("writing status of " + run_name, written.status());
  }
  spdlog::warn("updaterun {}: {}: {}", run_name, reason, message);
  Status ev = events.Record(run_name, "", RunEvent::Warning(reason, message));
  if (!ev.ok()) spdlog::warn("updaterun {}: recording event: {}", run_name, ev.ToString());
  ReconcileResult result = ReconcileResult::Terminal();
  result.status_written = true;
  return PassOutcome::Done(result);
}

}  // namespace kcau::reconcilers
