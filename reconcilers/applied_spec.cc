#include "reconcilers/applied_spec.h"

#include <string>
#include <vector>

#include "crd/updaterun_codec.h"
#include "crd/validation.h"
#include "reconcilers/conditions.h"

namespace kcau::reconcilers {

namespace {

using kube::Json;

const Json& SpecOf(const Json& object) {
  static const Json empty = Json::object();
  return object.has_object_field("spec") ? object.at("spec") : empty;
}

}  // namespace

std::optional<SpecEdit> ApplySpecEdits(crd::UpdateRun& run, const Json& object) {
  if (run.status.applied_spec.empty()) return std::nullopt;
  const Json applied = Json::parse(run.status.applied_spec);
  SpecEdit edit = ReconcileSpecEdit(SpecOf(object), applied);
  if (!edit.applied.empty()) {
    std::vector<std::string> names;
    for (const auto& r : run.status.nodes) names.push_back(r.name);
    auto decoded = crd::DecodeUpdateRunSpec(edit.effective);
    std::vector<crd::FieldError> errors;
    if (decoded.ok()) {
      errors = crd::ValidateUpdateRunSpec(*decoded, names);
    } else {
      for (const auto& c : edit.applied) errors.push_back({c.field, decoded.status().message()});
    }
    RefuseInvalidChanges(edit, applied, errors);
  }
  auto effective = crd::DecodeUpdateRunSpec(edit.effective);
  if (effective.ok()) run.spec = *effective;
  return edit;
}

void RecordSpecEdit(const crd::UpdateRun& run, const Json& object,
                    const std::optional<SpecEdit>& edit, RolloutDecision& decision, TimePoint now) {
  auto& status = decision.status;
  if (!edit) {
    if (!status.nodes.empty()) status.applied_spec = SpecOf(object).serialize();  // the start
    return;
  }
  status.applied_spec = edit->effective.serialize();
  const bool new_edit = run.generation != run.status.observed_generation;
  const bool edited = new_edit || FindCondition(status.conditions, crd::kConditionSpecApplied);
  if (!edited) return;
  if (edit->ignored.empty()) {
    SetCondition(status.conditions, crd::kConditionSpecApplied, ConditionStatus::kTrue, "AsWritten",
                 "the run applies its spec as written", run.generation, now);
  } else {
    SetCondition(status.conditions, crd::kConditionSpecApplied, ConditionStatus::kFalse,
                 "ChangesIgnored",
                 "not applied: " + DescribeChanges(edit->ignored, true) +
                     "; a running run keeps these as it started (status.appliedSpec): stop it "
                     "and start a new run to use them",
                 run.generation, now);
  }
  if (!new_edit) return;
  if (!edit->applied.empty()) {
    decision.events.push_back(RunEvent::Normal(
        "SpecChangeApplied", "applied from now on: " + DescribeChanges(edit->applied, false)));
  }
  if (!edit->ignored.empty()) {
    decision.events.push_back(RunEvent::Warning(
        "SpecChangeIgnored",
        "not applied to the running run: " + DescribeChanges(edit->ignored, true)));
  }
}

}  // namespace kcau::reconcilers
