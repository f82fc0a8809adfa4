#include "reconcilers/conditions.h"

namespace kcau::reconcilers {

const char* ConditionStatusName(ConditionStatus status) {
  switch (status) {
    case ConditionStatus::kTrue:
      return "True";
    case ConditionStatus::kFalse:
      return "False";
    case ConditionStatus::kUnknown:
      return "Unknown";
  }
  return "Unknown";
}

bool SetCondition(std::vector<crd::Condition>& conditions, const std::string& type,
                  ConditionStatus condition_status, const std::string& reason,
                  const std::string& message, int64_t generation, TimePoint now) {
  const std::string status = ConditionStatusName(condition_status);
  for (auto& c : conditions) {
    if (c.type != type) continue;
    const bool flipped = c.status != status;
    if (flipped) c.last_transition_time = now;
    c.status = status;
    c.reason = reason;
    c.message = message;
    c.observed_generation = generation;
    return flipped;
  }
  conditions.push_back(crd::Condition{type, status, reason, message, now, generation});
  return true;
}

const crd::Condition* FindCondition(const std::vector<crd::Condition>& conditions,
                                    const std::string& type) {
  for (const auto& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

}  // namespace kcau::reconcilers
