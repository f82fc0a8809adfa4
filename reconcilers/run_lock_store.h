// The run lock's I/O: reads the Lease and the run that holds it, lets DecideRunLock decide,
// then creates, takes over, renews or deletes the Lease. Writes carry the resourceVersion
// read, so two controllers racing for one lock cannot both win (the loser gets a 409 and
// decides again on its next pass).
//
// Exclusion holds per node, whatever the selectors: before a run takes its own target's
// Lease it looks at every other run lock in the namespace, and if that lock's holder is
// active on (or failed and left cordoned) any node this run selects, this run waits,
// Locked, naming that run and the shared nodes (or, with forceRecovery and a dead or failed
// holder, takes those nodes over). A holder's nodes are its status.plan, or what its
// selector takes while it has no plan yet. See docs/run-lock.md.
//
// Thread-safety: safe from any thread; deciding and taking a lock is serialised by mu_, so
// two runs starting at once in this (the leading) controller cannot both miss each other.
#pragma once

#include <mutex>
#include <optional>
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
  // A run holding some lock: what it is and the nodes it holds.
  struct Holder {
    HolderRunState state;
    std::vector<std::string> nodes;
  };
  StatusOr<Holder> ReadHolder(const std::string& identity, const std::vector<NodeView>& nodes);

  // Other targets' locks whose holders share nodes with `run`.
  struct Overlap {
    std::optional<RunLockDecision> wait;        // the first holder this run must wait for
    std::string recovered;                      // forceRecovery: whom it takes nodes from
    std::vector<std::string> recovered_leases;  // their Leases, deleted once ours is written
  };
  StatusOr<Overlap> OverlappingHolders(const crd::UpdateRun& run, const std::string& own_lease,
                                       const std::vector<NodeView>& nodes,
                                       const ElapsedFn& elapsed);

  StatusOr<RunLockDecision> Decide(const crd::UpdateRun& run, const std::vector<NodeView>& nodes,
                                   TimePoint now, bool write);

  kube::KubeClient& client_;
  std::string namespace_;
  ElapsedSince& elapsed_;
  std::mutex mu_;  // held while a run's lock is decided and written
};

}  // namespace kcau::reconcilers
