// Which node starts next: nodes are admitted strictly in plan order while maxUnavailable,
// site order, control-plane quorum and the run lock allow (reconcilers/batch_admission.h),
// after the pre-flight checks and, where it helps, a scan that tells whether the node needs
// anything at all. Pure.
#include <algorithm>

#include "reconcilers/planner/pass.h"
#include "reconcilers/planner/planner_messages.h"

namespace kcau::reconcilers::planner {

using crd::NodePhase;

// ForceSelfUpdate: before any node starts, every selected node's agent runs the
// controller's version: the DaemonSet is rolled (idempotent: asked again each pass) and the
// run waits, saying for whom. Nodes without an agent are left to the pre-flight check.
bool Pass::AgentsBeingRolled() {
  if (!run_.spec.force_self_update.value_or(false) || Scanning()) return false;
  std::vector<std::string> behind;
  for (const auto& r : d_.status.nodes) {
    const NodeView* v = Find(r.name);
    if (r.phase == NodePhase::kPending && v != nullptr && !v->agent_version.empty() &&
        v->agent_version != controller_version_) {
      behind.push_back(r.name + " (" + v->agent_version + ")");
    }
  }
  if (behind.empty()) return false;
  Act(ActionType::kRollAgents, "", controller_version_);
  const std::string why = "forceSelfUpdate: waiting for the agents to run " + controller_version_ +
                          " on " + JoinSome(behind);
  SetRunCondition(crd::kConditionProgressing, ConditionStatus::kTrue, "UpdatingAgents", why);
  BlockRun(crd::kBlockedByAgentsUpdating, why);
  Requeue(kHookPollInterval);
  return true;
}

// Starts nodes, in plan order, while the next one is admitted.
//
// Before a node is taken (its pre-update hook, its cordon) its agent scans it, and a node
// with nothing to install is left alone. Scans change nothing on a node, so they do not
// count against maxUnavailable: they run ahead of the nodes being updated, up to
// maxUnavailable nodes beyond those, so that when a place frees up the next node is
// usually known to need updates and is taken at once, and nodes with nothing to install
// go by without holding a place. The window is bounded rather than the whole plan: a
// result is fresher when its node's turn comes, and a 5,000-node run does not ask every
// agent at once. Nodes are still taken strictly in plan order: a scanned node waits for
// the nodes before it.
void Pass::Admit() {
  if (AgentsBeingRolled()) return;
  auto& st = d_.status;
  std::vector<const NodeView*> taken;  // in flight past their scan: what admission counts
  int scans_ahead = 0;                 // pre-scans asked for or waiting for their turn
  for (const auto& r : st.nodes) {
    const NodeView* v = Find(r.name);
    if (!InFlight(r.phase) || v == nullptr) continue;
    if (PreScanning(r)) {
      ++scans_ahead;
    } else {
      taken.push_back(v);
    }
  }
  Blocker blocker;
  bool its_turn = true;  // every node before this one in the plan was taken or has ended
  for (auto& r : st.nodes) {
    const bool pending = r.phase == NodePhase::kPending;
    if (!pending && !PreScanning(r)) continue;
    const NodeView* next = Find(r.name);
    if (pending && PreScanWanted()) {
      if (scans_ahead >= MaxInFlight()) break;
      // A node another run holds is not asked anything until it may be taken.
      if (next != nullptr) blocker = HeldByAnotherRun(*next);
      if (blocker.IsBlocked()) break;
      StartNode(r);
      if (PreScanning(r)) {
        ++scans_ahead;
        its_turn = false;
      }
      continue;
    }
    if (!pending && (!its_turn || !ScanFoundUpdates(r, next))) {
      its_turn = false;
      continue;
    }
    if (next != nullptr && !Scanning()) {  // a scan disturbs nothing: every node at once
      blocker = AdmissionBlocker(*next, taken, all_nodes_, MaxInFlight(), SiteAware());
      if (!blocker.IsBlocked()) blocker = HeldByAnotherRun(*next);
      if (blocker.IsBlocked()) break;
    }
    if (pending) {
      StartNode(r);
    } else {
      --scans_ahead;
      TakeNode(r, *next);
    }
    if (!InFlight(r.phase)) continue;
    taken.push_back(next);
    // Already cordoned (by an admin): nothing to wait for, go on in this pass.
    if (next->unschedulable && !Scanning()) StepNode(r);
  }
  if (blocker.HeldFromOutside()) {
    SetRunCondition(crd::kConditionProgressing, ConditionStatus::kTrue, "Blocked",
                    BlockerMessage(blocker));
    BlockRun(
        blocker.kind == Blocker::Kind::kQuorum ? crd::kBlockedByQuorum : crd::kBlockedByRunLock,
        blocker.detail);
    Requeue(kRebootPollInterval);
    return;
  }
  UnblockRun();
  SetRunCondition(crd::kConditionProgressing, ConditionStatus::kTrue, "Started", StartedMessage());
  const bool busy = std::any_of(st.nodes.begin(), st.nodes.end(),
                                [](const NodeResult& r) { return InFlight(r.phase); });
  if (!busy && NodesIn(NodePhase::kPending).empty()) CompleteRun(NodesIn(NodePhase::kFailed));
}

// A node another kcau run cordoned and left so (it failed there, or is updating it now)
// is not taken without spec.forceRecovery (CAU's Locked state).
Blocker Pass::HeldByAnotherRun(const NodeView& node) const {
  if (!node.unschedulable || node.cordoned_by.empty() || node.cordoned_by == RunIdentity(run_) ||
      run_.spec.force_recovery.value_or(false)) {
    return {};
  }
  return {Blocker::Kind::kRunLock,
          "node " + node.name + " was cordoned by run " + node.cordoned_by +
              " (kcau.io/cordoned-by); uncordon it or set spec.forceRecovery: true"};
}

void Pass::StartNode(NodeResult& r) {
  const NodeView* view = Find(r.name);
  if (view == nullptr) {
    EndNodeFailed(r, nullptr, "node no longer exists");
    return;
  }
  if (std::string why = PreflightProblem(*view); !why.empty()) {
    // Not the node's fault that it cannot be updated now: skipped, not failed.
    EndNode(r, NodePhase::kSkipped,
            "pre-flight check: " + why + " (spec.skipUpdateChecks: true skips the checks)");
    Event(RunEvent::Warning("NodeSkipped", r.name + ": " + r.message));
    return;
  }
  if (Scanning()) {
    r.start_time = now_;
    StartScan(r);
    return;
  }
  RecordCordon(r, *view);
  if (PreScanWanted()) {
    StartScan(r);
    return;
  }
  TakeNode(r, *view);
}

// Recorded before the cordon so a restarted controller never uncordons a node an admin
// had cordoned (kured keeps Unschedulable in its lock annotation for the same reason).
// A cordon another kcau run left (kcau.io/cordoned-by) is not an admin's: a run that
// is admitted to such a node (forceRecovery) takes it over and uncordons it at the end.
void Pass::RecordCordon(NodeResult& r, const NodeView& view) {
  r.was_unschedulable = view.unschedulable && view.cordoned_by.empty();
}

// The node's update starts: its pre-update hook, else its cordon.
void Pass::TakeNode(NodeResult& r, const NodeView& view) {
  r.start_time = now_;
  r.message.clear();
  r.boot_id_before = view.boot_id;  // now: a node may restart between its scan and here
  RecordCordon(r, view);
  if (run_.spec.pre_update_hook) {
    StartHook(r, NodePhase::kPreUpdateHook);
    return;
  }
  Cordon(r, view);
}

// Whether a node is scanned before it is taken: always, but where it would be taken
// whatever the scan says (forceReboot reboots it, osRollingUpgrade upgrades its OS).
bool Pass::PreScanWanted() const {
  return !Scanning() && !run_.spec.force_reboot.value_or(false) &&
         !run_.spec.os_rolling_upgrade.value_or(false);
}

// Scanned (or being scanned) before it is taken.
bool Pass::PreScanning(const NodeResult& r) const {
  return !Scanning() && r.phase == NodePhase::kScanning;
}

bool Pass::ScanFoundUpdates(const NodeResult& r, const NodeView* view) const {
  if (view == nullptr || !view->agent_result) return false;
  const agent::AgentResult& result = *view->agent_result;
  return result.token == r.request_token && result.state == agent::AgentState::kScanned &&
         result.updates_found > 0;
}

// SkipUpdateChecks: the checks made before a node is taken: an agent answers there, and
// the node is under no resource pressure (draining onto the others would not help it).
std::string Pass::PreflightProblem(const NodeView& view) const {
  if (run_.spec.skip_update_checks.value_or(false)) return "";
  if (view.agent_version.empty()) return NoAgentMessage();
  if (view.agent_version != controller_version_) {
    return AgentVersionMismatchMessage(view.agent_version, controller_version_);
  }
  if (!view.pressure.empty()) return "the node reports " + Join(view.pressure);
  return "";
}

}  // namespace kcau::reconcilers::planner
