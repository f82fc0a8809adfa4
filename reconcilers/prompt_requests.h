// The update requests the controller makes as soon as a Draining node is drained, without
// waiting for its run's next pass. A node's pods went while a pass over 5,000 nodes was
// under way or resting, and the pass that saw them gone wrote the request ~0.4 s after they
// went (docs/bench.md). Each pass says which of its nodes are Draining and the request each
// makes once drained (RolloutDecision::request_on_drained); the pod cache's handler (a pod
// gone), the node cache's (a cordon seen) and the end of the node's job (its drain) try the
// node here, and the controller makes the request once the caches show it cordoned with no
// pod left to evict, as StepDraining would decide.
//
// Acting before the status says Updating is safe because the request is what the run's next
// pass decides for that node (StepDraining takes a node whose pods are gone into its first
// attempt before a stop or anything else is decided), its token is a function of the run,
// node, attempt and round, so that pass decides the identical request and does not write it
// again once the cache shows it, and a pass that sees the request takes the node as Updating
// (rollout_planner.h). What must never happen is a request going while a pass decides from
// a snapshot without it: a pass that finds the node still holding pods may decide to bring
// it back (a stop). So a run's expectations go when its pass starts (Forget) and come back
// only once its status is written and its actions handed over (Expect), and a request is
// handed to the background under this object's lock: once Forget has returned, every
// request made shows as a write of ours still landing (its job queued or running, or made
// and not yet shown: NodeView::own_write_pending), which the pass then waits for. Should it
// show only after a stop uncordoned the node, the pass withdraws it (rollout_planner.h).
//
// Thread-safety: every method is safe from any thread (one mutex). `start` runs under it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "crd/updaterun_types.h"
#include "reconcilers/rollout_planner.h"

namespace kcau::reconcilers {

class PromptRequests {
 public:
  // What a pass of `run` expects now (its earlier expectations went at the pass's start),
  // with the spec its node actions are applied under.
  void Expect(const std::string& run, const std::vector<RequestOnDrained>& expected,
              std::shared_ptr<const crd::UpdateRunSpec> spec);
  // The run's pass starts, or the run ended or went.
  void Forget(const std::string& run);

  struct Due {
    std::string run;
    NodeAction request;
    std::shared_ptr<const crd::UpdateRunSpec> spec;
  };
  // If a request is expected of `node`, calls `start` with it, under the lock; `start` says
  // whether it made the request (the node drained, and its job handed over), and the
  // expectation is done once it has.
  void Try(const std::string& node, const std::function<bool(const Due&)>& start);

 private:
  std::mutex mu_;
  std::map<std::string, Due> by_node_;  // guarded by mu_
};

}  // namespace kcau::reconcilers
