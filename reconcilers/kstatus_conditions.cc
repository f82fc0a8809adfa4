#include "reconcilers/kstatus_conditions.h"

#include <string>

#include "reconcilers/conditions.h"

namespace kcau::reconcilers {

namespace {

// The reason and message of the run's own condition `type`, or the fallbacks.
std::pair<std::string, std::string> Explained(const crd::UpdateRunStatus& status, const char* type,
                                              const std::string& reason,
                                              const std::string& message) {
  const crd::Condition* c = FindCondition(status.conditions, type);
  if (c == nullptr) return {reason, message};
  return {c->reason.empty() ? reason : c->reason, c->message.empty() ? message : c->message};
}

std::string Progress(const crd::UpdateRunStatus& status) {
  return std::to_string(status.nodes_succeeded) + " of " + std::to_string(status.nodes_total) +
         " nodes updated, " + std::to_string(status.nodes_failed) + " failed";
}

}  // namespace

void SetKstatusConditions(crd::UpdateRunStatus& status, int64_t generation, TimePoint now) {
  // Per phase: the run's own condition that tells the story, and the three kstatus values.
  struct Row {
    const char* story;
    const char* fallback_reason;
    bool reconciling, ready, stalled;
  };
  const bool pending = status.phase == crd::RunPhase::kPending;
  const Row row =
      status.phase == crd::RunPhase::kSucceeded
          ? Row{crd::kConditionSucceeded, "Succeeded", false, true, false}
      : status.phase == crd::RunPhase::kFailed
          ? Row{crd::kConditionFailed, "Failed", false, false, true}
          : Row{crd::kConditionProgressing, pending ? "Pending" : "Running", true, false, false};
  const auto why = Explained(status, row.story, row.fallback_reason, Progress(status));
  for (auto [type, value] : {std::make_pair(kConditionReconciling, row.reconciling),
                             std::make_pair(kConditionReady, row.ready),
                             std::make_pair(kConditionStalled, row.stalled)}) {
    SetCondition(status.conditions, type, value ? ConditionStatus::kTrue : ConditionStatus::kFalse,
                 why.first, why.second, generation, now);
  }
  for (auto& c : status.conditions) c.observed_generation = generation;
}

}  // namespace kcau::reconcilers
