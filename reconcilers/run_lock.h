// The run lock, CAU's "Locked state": one coordination.k8s.io/Lease per run target (the
// run's nodeSelector) keeps two runs from updating the same nodes at once. The Lease's
// holderIdentity is the holding run ("NAME/UID"); it is renewed while the run is active.
//
// A run that ends releases the lock, except one that failed and left nodes cordoned for
// inspection: as in CAU, the target stays Locked until an operator uncordons them or a new
// run sets spec.forceRecovery (which takes the lock over, with an Event). A holder whose
// run was deleted, or that ended cleanly, holds nothing. DecideRunLock is pure; the Lease
// I/O is in run_lock_store.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "crd/updaterun_types.h"
#include "reconcilers/node_view.h"

namespace kcau::reconcilers {

inline constexpr int kRunLockLeaseSeconds = 60;
inline constexpr char kRunLockPrefix[] = "kcau-run-lock-";

// The Lease's name for a run target: "kcau-run-lock-" + a hash of the canonical selector,
// so runs with the same nodeSelector share one lock.
std::string RunLockName(const crd::UpdateRunSpec& spec);

struct RunLockHolder {
  std::string identity;  // "NAME/UID"
  std::optional<TimePoint> renew_time;
  int lease_seconds = kRunLockLeaseSeconds;
};

// What is known of the holding run, read by the caller.
struct HolderRunState {
  bool exists = false;                     // a run with the holder's name and UID exists
  bool active = false;                     // it has not ended
  std::vector<std::string> left_cordoned;  // its failed nodes still cordoned by it
};

enum class RunLockVerdict {
  kTake,     // free: create or take the Lease
  kHeld,     // this run holds it: renew when due
  kWait,     // another run holds it: the run does not start
  kRecover,  // held by a dead or failed run, and forceRecovery: take it over, with an Event
};

struct RunLockDecision {
  RunLockVerdict verdict;
  std::string message;  // why (for the Locked condition, or the LockRecovered Event)
};

// `elapsed` tells how long ago the holder renewed.
RunLockDecision DecideRunLock(const std::string& self, const std::optional<RunLockHolder>& holder,
                              const HolderRunState& holder_run, bool force_recovery,
                              const ElapsedFn& elapsed);

// The nodes `spec` selects among `nodes` (its nodeSelector; all of them without one).
std::vector<std::string> SelectedNodes(const crd::UpdateRunSpec& spec,
                                       const std::vector<NodeView>& nodes);

// "a, b, c" (at most a few names, then "and N more").
std::string JoinNames(const std::vector<std::string>& names);

// A run's failed nodes that it left cordoned (still cordoned by it now): they keep its
// target Locked after it ended.
std::vector<std::string> NodesLeftCordoned(const crd::UpdateRunStatus& status,
                                           const std::string& identity,
                                           const std::vector<std::pair<std::string, std::string>>&
                                               cordoned_by);  // node -> kcau.io/cordoned-by

}  // namespace kcau::reconcilers
