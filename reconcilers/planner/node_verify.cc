// The node state machine's Rebooting and Verifying phases (docs/architecture.md): the node
// comes back with a new boot ID and Ready, is re-scanned for updates that only show after
// a restart (another round), then is uncordoned (failbackMode) and goes on after its update.
// Pure.
#include <algorithm>

#include "reconcilers/planner/pass.h"
#include "reconcilers/planner/planner_messages.h"

namespace kcau::reconcilers::planner {

using crd::NodePhase;

void Pass::StepRebooting(NodeResult& r, const NodeView& view) {
  if (!view.boot_id.empty() && view.boot_id != r.boot_id_before && view.ready) {
    r.rebooted = true;
    Enter(r, NodePhase::kVerifying);
    StepVerifying(r, view);
    return;
  }
  WaitOrTimeOut(r, view, "did not come back from its reboot");
}

void Pass::StepVerifying(NodeResult& r, const NodeView& view) {
  if (!view.ready) {
    WaitOrTimeOut(r, view, "is not Ready after its update");
    return;
  }
  if (AnotherRound(r, view)) {
    StartRound(r, view);
    return;
  }
  if (run_.spec.failback_mode == crd::FailbackMode::kNoFailback) {
    // NoFailback: the operator brings the node back; the run does not wait for that.
    AfterUpdate(r);
    return;
  }
  Enter(r, NodePhase::kUncordoned);
  if (!r.was_unschedulable && view.unschedulable) {
    Act(ActionType::kUncordon, r.name);
    return;
  }
  AfterUpdate(r);
}

// Rebooting and Verifying wait for the node at most rebootTimeoutMinutes; then it fails.
void Pass::WaitOrTimeOut(NodeResult& r, const NodeView& view, const std::string& what) {
  const Duration waited = Elapsed(r.phase_time);
  if (waited >= RebootTimeout()) {
    const int minutes = run_.spec.reboot_timeout_minutes.value_or(kDefaultRebootTimeoutMinutes);
    EndNodeFailed(
        r, &view,
        RebootTimeoutMessage(what, minutes, view.ready, view.boot_id != r.boot_id_before));
    return;
  }
  Requeue(std::min<Duration>(kRebootPollInterval, RebootTimeout() - waited));
}

}  // namespace kcau::reconcilers::planner
