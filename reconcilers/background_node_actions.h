// Node actions that outlive the pass that decided them (the controller's mode:
// UpdateRunReconciler::SetBackgroundWork). A pass that waited for its requests waited for
// the API server's slowest answers: a wave of 500 drains, ten evictions each, takes seconds,
// and even a wave of update requests is 500 writes. Meanwhile a node back from its reboot
// waited, and so did the run's next status write. Here a pass hands each node's actions
// (in their order) to a bounded pool and goes on; their end wakes the run, and the run's
// next pass takes what they did (pods evicted, a failure) for its metrics and its verdict.
//
// Every action is idempotent and decided again from what is observed (level-triggered), so
// a restarted controller loses nothing it needs: the next pass decides them again. One job
// per node of a run at a time: while one is queued or running, the node is not acted on
// again. Drains go to a pool of their own, so quick writes never wait behind a wave of
// evictions; so do uncordons, so a node going back into service never waits behind a wave
// of nodes being taken (500 cordons and requests when a wave is admitted). And since the
// API server serves every request in the order it comes, a drain's evictions step aside
// (YieldToReturns) while a backlog of uncordons forms: at a wave's end, dozens of nodes
// return within milliseconds of each other, amid that moment's evictions. For the same
// reason the writes' and the drains' threads are bulk work (common/thread_priority.h) and
// the uncordons' are not: on a full core, an uncordon's thread is scheduled first.
//
// Thread-safety: every method is safe from any thread; `ended` callbacks run on the pools.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "reconcilers/bounded_executor.h"
#include "reconcilers/node_actions.h"

namespace kcau::reconcilers {

class BackgroundNodeActions {
 public:
  using Work = std::function<Status(ActionOutcome& outcome)>;
  // Called once a job ended and was accounted for (Take sees it), on the pool's thread.
  using Ended = std::function<void(const ActionOutcome& outcome, const Status& status)>;

  // The pool a job runs on.
  enum class Lane {
    kQuick,      // writes: cordons, requests, hooks
    kDrain,      // a job with a drain (evictions, and waiting for pods to go)
    kReturning,  // uncordons: nodes going back into service
  };

  // At most `quick` jobs of writes, `draining` jobs with a drain and `returning` uncordons
  // run at once, across every run.
  BackgroundNodeActions(int quick, int draining, int returning);

  // Part of a job: its work, on its lane's pool.
  struct Stage {
    Lane lane;
    Work work;
  };
  // Queues `work` on `run`'s `node` on `lane`'s pool; false, and nothing queued, while a job
  // of the node is queued or runs.
  bool Start(const std::string& run, const std::string& node, Lane lane, Work work, Ended ended);
  // The same for a job in stages, run in order, each on its own lane: a cordon on the quick
  // lane, then the drain that must follow it on the drain lane, so the cordon of a node
  // taken when a place frees never waits behind other nodes' evictions. A stage that fails
  // ends the job; the node counts as running until the last stage ended. Lanes must come in
  // the order their pools outlive each other (quick, returning, drain: a stage queues the
  // next on a pool still there when its own goes); stages out of that order are an
  // std::invalid_argument, and nothing is queued.
  bool Start(const std::string& run, const std::string& node, std::vector<Stage> stages,
             Ended ended);
  bool Running(const std::string& run, const std::string& node) const;
  // The nodes of `run` with a job queued or running.
  std::set<std::string> RunningNodes(const std::string& run) const;
  // Waits, at most `at_most`, while more uncordons (Lane::kReturning jobs) are queued or
  // running than half the pool's threads (a burst, not the steady trickle of nodes coming
  // back): what a drain calls before each eviction.
  void YieldToReturns(std::chrono::milliseconds at_most) const;
  // Returns once no job is queued or running (and their `ended` callbacks have returned).
  void WaitIdle() const;

  // What the jobs of `run` that ended since the last Take did, added up, and the first
  // failure among them ("node NAME: error").
  struct Finished {
    ActionOutcome outcome;
    std::optional<std::string> failure;
  };
  Finished Take(const std::string& run);
  // The run ended or went: what its ended jobs did is dropped.
  void Forget(const std::string& run);

 private:
  struct Job;
  BoundedExecutor& PoolOf(Lane lane);
  void Submit(const std::shared_ptr<Job>& job, size_t stage);
  void RunStage(const std::shared_ptr<Job>& job, size_t stage);
  void Finish(const Job& job, const Status& status);

  mutable std::mutex mu_;
  mutable std::condition_variable idle_;                   // notified when busy_ drops to 0
  std::set<std::pair<std::string, std::string>> running_;  // (run, node); guarded by mu_
  int busy_ = 0;  // jobs queued or running, until their `ended` returned; guarded by mu_
  const int returning_backlog_;               // YieldToReturns waits above this many
  int returning_ = 0;                         // kReturning jobs queued or running; mu_
  mutable std::condition_variable returned_;  // notified once returning_ <= the backlog
  std::map<std::string, Finished> finished_;  // by run; guarded by mu_
  // Last: destroyed first, so no job runs once the bookkeeping above goes. The quick pool
  // goes first, then the returning one: a stage running there may still queue its next on
  // the pools declared before it (Start keeps stages in that order).
  BoundedExecutor draining_;
  BoundedExecutor returning_pool_;
  BoundedExecutor quick_;
};

}  // namespace kcau::reconcilers
