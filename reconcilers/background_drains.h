// Drains that outlive the pass that started them (the controller's mode:
// UpdateRunReconciler::SetBackgroundWork). A wave of 500 drains, ten evictions each, takes
// seconds; while a pass waited for it, a node back from its reboot waited too, and so did
// the run's next status write. Here a pass starts each drain on a bounded pool and goes on;
// the drain's end wakes the run, and the run's next pass takes what the drain did (pods
// evicted, a failure) for its metrics and its verdict.
//
// A drain is only API calls the planner decides again whenever pods remain (level-triggered),
// so a restarted controller loses nothing it needs: the next pass starts the drain again.
// One drain per node of a run at a time: while one is queued or running, the node's drain is
// not started again.
//
// Thread-safety: every method is safe from any thread; `ended` callbacks run on the pool.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "common/status.h"
#include "reconcilers/bounded_executor.h"
#include "reconcilers/node_actions.h"

namespace kcau::reconcilers {

class BackgroundDrains {
 public:
  using Drain = std::function<Status(ActionOutcome& outcome)>;
  // Called once a drain ended and was accounted for (Take sees it), on the pool's thread.
  using Ended = std::function<void(const ActionOutcome& outcome, const Status& status)>;

  // At most `in_flight` drains run at once, across every run.
  explicit BackgroundDrains(int in_flight);

  // Queues `drain` of `run`'s `node`; false, and nothing queued, while one is queued or runs.
  bool Start(const std::string& run, const std::string& node, Drain drain, Ended ended);
  bool Running(const std::string& run, const std::string& node) const;

  // What the drains of `run` that ended since the last Take did, added up, and the first
  // failure among them ("node NAME: error").
  struct Finished {
    ActionOutcome outcome;
    std::optional<std::string> failure;
  };
  Finished Take(const std::string& run);
  // The run ended or went: what its ended drains did is dropped.
  void Forget(const std::string& run);

 private:
  mutable std::mutex mu_;
  std::set<std::pair<std::string, std::string>> running_;  // (run, node); guarded by mu_
  std::map<std::string, Finished> finished_;               // by run; guarded by mu_
  // Last: destroyed first, so no drain is running once the bookkeeping above goes.
  BoundedExecutor pool_;
};

}  // namespace kcau::reconcilers
