#include "kube/disruption_budget.h"

namespace kcau::kube {

namespace {
constexpr char kCausePrefix[] = "The disruption budget ";
}  // namespace

std::string WithDisruptionBudgetCause(const std::string& message, const std::string& cause) {
  return message + " (" + cause + ")";
}

std::string DisruptionBudgetOf(const Status& refusal) {
  if (refusal.code() != StatusCode::kTooManyRequests) return "";
  const std::string& m = refusal.message();
  const size_t at = m.find(kCausePrefix);
  if (at == std::string::npos) return "";
  const size_t start = at + sizeof(kCausePrefix) - 1;
  const size_t end = m.find(' ', start);
  return m.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string DisruptionBudgetCauseMessage(const std::string& name, int64_t desired_healthy,
                                         int64_t current_healthy) {
  return kCausePrefix + name + " needs " + std::to_string(desired_healthy) +
         " healthy pods and has " + std::to_string(current_healthy) + " currently";
}

}  // namespace kcau::kube
