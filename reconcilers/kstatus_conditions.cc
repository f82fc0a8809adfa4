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
  const auto yes = ConditionStatus::kTrue;
  const auto no = ConditionStatus::kFalse;
  auto set = [&](const char* type, ConditionStatus value,
                 const std::pair<std::string, std::string>& why) {
    SetCondition(status.conditions, type, value, why.first, why.second, generation, now);
  };
  switch (status.phase) {
    case crd::RunPhase::kPending:
    case crd::RunPhase::kRunning: {
      const auto why = Explained(status, crd::kConditionProgressing,
                                 status.phase == crd::RunPhase::kPending ? "Pending" : "Running",
                                 Progress(status));
      set(kConditionReconciling, yes, why);
      set(kConditionReady, no, why);
      set(kConditionStalled, no, why);
      break;
    }
    case crd::RunPhase::kSucceeded: {
      const auto why = Explained(status, crd::kConditionSucceeded, "Succeeded", Progress(status));
      set(kConditionReconciling, no, why);
      set(kConditionReady, yes, why);
      set(kConditionStalled, no, why);
      break;
    }
    case crd::RunPhase::kFailed: {
      const auto why = Explained(status, crd::kConditionFailed, "Failed", Progress(status));
      set(kConditionReconciling, no, why);
      set(kConditionReady, no, why);
      set(kConditionStalled, yes, why);
      break;
    }
  }
  for (auto& c : status.conditions) c.observed_generation = generation;
}

}  // namespace kcau::reconcilers
