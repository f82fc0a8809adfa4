#include "reconcilers/background_node_actions.h"

#include <algorithm>
#include <stdexcept>

namespace kcau::reconcilers {

// BoundedExecutor counts the caller's thread as one of its own; Submit uses only the pool's.
BackgroundNodeActions::BackgroundNodeActions(int quick, int draining, int returning)
    : returning_backlog_(returning / 2),
      draining_("drains", draining + 1, BoundedExecutor::Priority::kBulk),
      returning_pool_("uncordons", returning + 1),
      quick_("node-writes", quick + 1, BoundedExecutor::Priority::kBulk) {}

// A job under way: its stages share what they did.
struct BackgroundNodeActions::Job {
  std::string run;
  std::string node;
  std::vector<Stage> stages;
  Ended ended;
  ActionOutcome outcome;  // written by one stage at a time
};

bool BackgroundNodeActions::Start(const std::string& run, const std::string& node, Lane lane,
                                  Work work, Ended ended) {
  std::vector<Stage> stages;
  stages.push_back({lane, std::move(work)});
  return Start(run, node, std::move(stages), std::move(ended));
}

namespace {

// The order pools are destroyed in (the header's members): a stage may queue its next only on
// a pool destroyed no sooner than its own.
int TeardownOrder(BackgroundNodeActions::Lane lane) {
  switch (lane) {
    case BackgroundNodeActions::Lane::kQuick:
      return 0;
    case BackgroundNodeActions::Lane::kReturning:
      return 1;
    case BackgroundNodeActions::Lane::kDrain:
      return 2;
  }
  return 2;
}

}  // namespace

bool BackgroundNodeActions::Start(const std::string& run, const std::string& node,
                                  std::vector<Stage> stages, Ended ended) {
  if (stages.empty()) return false;
  if (!std::is_sorted(stages.begin(), stages.end(), [](const Stage& a, const Stage& b) {
        return TeardownOrder(a.lane) < TeardownOrder(b.lane);
      })) {
    throw std::invalid_argument("node " + node + ": job stages out of lane order");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_.emplace(run, node).second) return false;
    ++busy_;
  }
  Submit(std::make_shared<Job>(Job{run, node, std::move(stages), std::move(ended), {}}), 0);
  return true;
}

BoundedExecutor& BackgroundNodeActions::PoolOf(Lane lane) {
  return lane == Lane::kDrain ? draining_ : lane == Lane::kReturning ? returning_pool_ : quick_;
}

void BackgroundNodeActions::Submit(const std::shared_ptr<Job>& job, size_t stage) {
  const Lane lane = job->stages[stage].lane;
  if (lane == Lane::kReturning) {
    std::lock_guard<std::mutex> lock(mu_);
    ++returning_;
  }
  PoolOf(lane).Submit([this, job, stage] { RunStage(job, stage); });
}

void BackgroundNodeActions::RunStage(const std::shared_ptr<Job>& job, size_t stage) {
  const Status status = job->stages[stage].work(job->outcome);
  if (job->stages[stage].lane == Lane::kReturning) {
    std::lock_guard<std::mutex> lock(mu_);
    if (--returning_ <= returning_backlog_) returned_.notify_all();
  }
  if (status.ok() && stage + 1 < job->stages.size()) {
    Submit(job, stage + 1);
    return;
  }
  Finish(*job, status);
}

// The job ended: what it did is the run's to Take, its node may be started again, and then
// its `ended` is called.
void BackgroundNodeActions::Finish(const Job& job, const Status& status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    Finished& finished = finished_[job.run];
    MergeActionOutcome(job.outcome, finished.outcome);
    if (!status.ok() && !finished.failure) {
      finished.failure = "node " + job.node + ": " + status.ToString();
    }
    running_.erase({job.run, job.node});
  }
  if (job.ended) job.ended(job.outcome, status);
  std::lock_guard<std::mutex> lock(mu_);
  if (--busy_ == 0) idle_.notify_all();
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
