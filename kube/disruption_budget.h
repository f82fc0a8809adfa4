// Which PodDisruptionBudget refused an eviction. The API server names it only in a cause of
// its 429 ("The disruption budget web needs 2 healthy pods and has 2 currently", reason
// DisruptionBudget); kcau's clients keep that cause in the error's message, in parentheses,
// so whoever drains can say which budget holds a pod. Pure functions, thread-safe.
#pragma once

#include <string>

#include "common/status.h"

namespace kcau::kube {

// policy/v1's DisruptionBudgetCause: the StatusCause reason of a budget's refusal.
inline constexpr char kDisruptionBudgetCause[] = "DisruptionBudget";

// "<message> (<cause>)": the refusal's message with the budget's cause kept.
std::string WithDisruptionBudgetCause(const std::string& message, const std::string& cause);

// The name of the budget a refused eviction's Status names ("web"), or "" when it names none.
std::string DisruptionBudgetOf(const Status& refusal);

// The cause the API server writes for budget `name` (its wording).
std::string DisruptionBudgetCauseMessage(const std::string& name, int64_t desired_healthy,
                                         int64_t current_healthy);

}  // namespace kcau::kube
