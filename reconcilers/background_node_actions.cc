#include "reconcilers/background_node_actions.h"

namespace kcau::reconcilers {

// BoundedExecutor counts the caller's thread as one of its own; Submit uses only the pool's.
BackgroundNodeActions::BackgroundNodeActions(int quick, int draining, int returning)
    : returning_backlog_(returning / 2),
      quick_("node-writes", quick + 1),
      draining_("drains", draining + 1),
      returning_pool_("uncordons", returning + 1) {}

bool BackgroundNodeActions::Start(const std::string& run, const std::string& node, Lane lane,
                                  Work work, Ended ended) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_.emplace(run, node).second) return false;
    ++busy_;
    if (lane == Lane::kReturning) ++returning_;
  }
  BoundedExecutor& pool = lane == Lane::kDrain       ? draining_
                          : lane == Lane::kReturning ? returning_pool_
                                                     : quick_;
  pool.Submit([this, run, node, lane, work = std::move(work), ended = std::move(ended)] {
    ActionOutcome outcome;
    const Status status = work(outcome);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (lane == Lane::kReturning && --returning_ <= returning_backlog_) returned_.notify_all();
      Finished& finished = finished_[run];
      MergeActionOutcome(outcome, finished.outcome);
      if (!status.ok() && !finished.failure) {
        finished.failure = "node " + node + ": " + status.ToString();
      }
      running_.erase({run, node});
    }
    if (ended) ended(outcome, status);
    std::lock_guard<std::mutex> lock(mu_);
    if (--busy_ == 0) idle_.notify_all();
  });
  return true;
}

void BackgroundNodeActions::WaitIdle() const {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [this] { return busy_ == 0; });
}

void BackgroundNodeActions::YieldToReturns(std::chrono::milliseconds at_most) const {
  std::unique_lock<std::mutex> lock(mu_);
  returned_.wait_for(lock, at_most, [this] { return returning_ <= returning_backlog_; });
}

bool BackgroundNodeActions::Running(const std::string& run, const std::string& node) const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_.count({run, node}) > 0;
}

std::set<std::string> BackgroundNodeActions::RunningNodes(const std::string& run) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string> nodes;
  for (auto it = running_.lower_bound({run, ""}); it != running_.end() && it->first == run; ++it) {
    nodes.insert(it->second);
  }
  return nodes;
}

BackgroundNodeActions::Finished BackgroundNodeActions::Take(const std::string& run) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = finished_.find(run);
  if (it == finished_.end()) return {};
  Finished taken = std::move(it->second);
  finished_.erase(it);
  return taken;
}

void BackgroundNodeActions::Forget(const std::string& run) {
  std::lock_guard<std::mutex> lock(mu_);
  finished_.erase(run);
}

}  // namespace kcau::reconcilers
