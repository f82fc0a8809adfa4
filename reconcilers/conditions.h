// metav1.Condition bookkeeping: set a condition so that lastTransitionTime moves only when
// the status flips (docs/conventions.md). Pure, thread-safe.
#pragma once

#include <string>
#include <vector>

#include "crd/updaterun_types.h"

namespace kcau::reconcilers {

// A condition's status, written to the API as "True", "False" or "Unknown".
enum class ConditionStatus { kTrue, kFalse, kUnknown };

// The API's word for `status`: "True", "False", "Unknown".
const char* ConditionStatusName(ConditionStatus status);

// Returns true when the condition's status flipped (or it is new): the caller then logs and
// emits an Event. reason/message/observedGeneration are refreshed either way.
bool SetCondition(std::vector<crd::Condition>& conditions, const std::string& type,
                  ConditionStatus status, const std::string& reason, const std::string& message,
                  int64_t generation, TimePoint now);

const crd::Condition* FindCondition(const std::vector<crd::Condition>& conditions,
                                    const std::string& type);

}  // namespace kcau::reconcilers
