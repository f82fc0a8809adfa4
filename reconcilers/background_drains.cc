#include "reconcilers/background_drains.h"

namespace kcau::reconcilers {

// BoundedExecutor counts the caller's thread as one of its own; Submit uses only the pool's.
BackgroundDrains::BackgroundDrains(int in_flight) : pool_(in_flight + 1) {}

bool BackgroundDrains::Start(const std::string& run, const std::string& node, Drain drain,
                             Ended ended) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_.emplace(run, node).second) return false;
  }
  pool_.Submit([this, run, node, drain = std::move(drain), ended = std::move(ended)] {
    ActionOutcome outcome;
    const Status status = drain(outcome);
    {
      std::lock_guard<std::mutex> lock(mu_);
      Finished& finished = finished_[run];
      MergeActionOutcome(outcome, finished.outcome);
      if (!status.ok() && !finished.failure) {
        finished.failure = "node " + node + ": " + status.ToString();
      }
      running_.erase({run, node});
    }
    if (ended) ended(outcome, status);
  });
  return true;
}

bool BackgroundDrains::Running(const std::string& run, const std::string& node) const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_.count({run, node}) > 0;
}

BackgroundDrains::Finished BackgroundDrains::Take(const std::string& run) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = finished_.find(run);
  if (it == finished_.end()) return {};
  Finished taken = std::move(it->second);
  finished_.erase(it);
  return taken;
}

void BackgroundDrains::Forget(const std::string& run) {
  std::lock_guard<std::mutex> lock(mu_);
  finished_.erase(run);
}

}  // namespace kcau::reconcilers
