// The node state machine's Rebooting and Verifying phases (docs/architecture.md): the node
// comes back with a new boot ID and Ready, is re-scanned for updates that only show after
// a restart (another round), then is uncordoned (failbackMode) and goes on after its update.
// Pure.
#include <algorithm>
#include <map>
#include <string>

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

// The nodes this pass leaves where a clean end of a round is all that stands between them
// and their uncordon (UncordonOnResult), on a node the run is to uncordon (it did not find it
// cordoned, and failbackMode brings nodes back): Updating in a round at or past the planned
// ones (no further round is planned, and a re-scan follows only a reboot); or Updating or
// Rebooting in a round whose request named the re-scan round after it, which the agent
// begins on its return.
void Pass::ExpectUncordons() {
  if (run_.spec.failback_mode == crd::FailbackMode::kNoFailback) return;
  // The re-scan round each node's request names: as written, or as this pass writes it.
  std::map<std::string, std::string> named;
  for (const auto& a : d_.actions) {
    if (a.type == ActionType::kRequestUpdate && !a.rescan_token.empty()) {
      named[a.node] = a.rescan_token;
    }
  }
  for (const auto& r : d_.status.nodes) {
    if (r.was_unschedulable || r.restore_to || r.round < PlannedRounds()) continue;
    if (r.phase != NodePhase::kUpdating && r.phase != NodePhase::kRebooting) continue;
    if (r.phase == NodePhase::kUpdating) {
      d_.uncordon_on_result.push_back({r.name, r.request_token, r.boot_id_before, "", ""});
    }
    std::string rescan;
    if (auto it = named.find(r.name); it != named.end()) {
      rescan = it->second;
    } else if (const NodeView* view = Find(r.name);
               view != nullptr && view->request_token == r.request_token) {
      rescan = view->rescan_request_token;
    }
    if (rescan.empty() || rescan != RequestToken(run_, r.name, r.attempts, r.round + 1)) continue;
    d_.uncordon_on_result.push_back({r.name, rescan, "", r.request_token, r.boot_id_before});
  }
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
