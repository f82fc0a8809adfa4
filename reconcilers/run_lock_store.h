// The run lock's I/O: reads the Lease and the run that holds it, lets DecideRunLock decide,
// then creates, takes over, renews or deletes the Lease. Writes carry the resourceVersion
// read, so two controllers racing for one lock cannot both win (the loser gets a 409 and
// decides again on its next pass).
//
// Thread-safety: stateless; safe wherever the KubeClient is.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "crd/updaterun_types.h"
#include "reconcilers/elapsed_since.h"
#include "reconcilers/node_view.h"
#include "reconcilers/run_lock.h"

namespace kcau::kube {
class KubeClient;
}

namespace kcau::reconcilers {

class RunLockStore {
 public:
  // `elapsed` measures how long ago a holder renewed (a wall-clock step must not make a live
  // lock look stale).
  RunLockStore(kube::KubeClient& client, std::string lease_namespace, ElapsedSince& elapsed);

  // Takes the lock for `run` if DecideRunLock says it may (kTake, kRecover), renews it when
  // due (kHeld), or leaves it (kWait). Returns the decision.
  StatusOr<RunLockDecision> Acquire(const crd::UpdateRun& run, const std::vector<NodeView>& nodes,
                                    TimePoint now) {
    return Decide(run, nodes, now, true);
  }
  // The same decision, writing nothing: a run not started yet asks this before its start
  // checks (requireAllNodesOnline must judge the nodes when the run may go, not while
  // another run is rebooting them).
  StatusOr<RunLockDecision> Check(const crd::UpdateRun& run, const std::vector<NodeView>& nodes,
                                  TimePoint now) {
    return Decide(run, nodes, now, false);
  }

  // Deletes the Lease if `run` holds it and left no failed node cordoned.
  Status Release(const crd::UpdateRun& run, const crd::UpdateRunStatus& status,
                 const std::vector<NodeView>& nodes);

  const std::string& lease_namespace() const { return namespace_; }

 private:
  StatusOr<RunLockDecision> Decide(const crd::UpdateRun& run, const std::vector<NodeView>& nodes,
                                   TimePoint now, bool write);

  kube::KubeClient& client_;
  std::string namespace_;
  ElapsedSince& elapsed_;
};

}  // namespace kcau::reconcilers
