#include "reconcilers/run_phases.h"

#include "crd/names.h"
#include "crd/run_state.h"

namespace kcau::reconcilers {

void RunPhases::Record(const std::string& run, int64_t generation,
                       const crd::UpdateRunStatus& status) {
  const bool ended = crd::IsEnded(status, generation);
  std::lock_guard<std::mutex> lock(mu_);
  runs_[run] = Known{status.phase, ended};
}

void RunPhases::RecordEnded(const std::string& run, crd::RunPhase phase) {
  std::lock_guard<std::mutex> lock(mu_);
  runs_[run] = Known{phase, true};
}

void RunPhases::Forget(const std::string& run) {
  std::lock_guard<std::mutex> lock(mu_);
  runs_.erase(run);
}

bool RunPhases::Ended(const std::string& run) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = runs_.find(run);
  return it != runs_.end() && it->second.ended;
}

std::map<std::string, int> RunPhases::CountByPhase(const std::vector<std::string>& runs) const {
  std::map<std::string, int> counts;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& run : runs) {
    auto it = runs_.find(run);
    ++counts[crd::RunPhaseName(it == runs_.end() ? crd::RunPhase::kPending : it->second.phase)];
  }
  return counts;
}

}  // namespace kcau::reconcilers
