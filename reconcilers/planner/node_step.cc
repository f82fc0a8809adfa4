// One step of a node in flight, by its phase (the node state machine of
// docs/architecture.md), and the ways a node ends: succeeded, failed where it stands, or
// restored (brought back into service, then ended Failed or Skipped). Pure.
#include <vector>

#include "crd/names.h"
#include "reconcilers/planner/pass.h"
#include "reconcilers/planner/planner_messages.h"

namespace kcau::reconcilers::planner {

using crd::NodePhase;

void Pass::StepNode(NodeResult& r) {
  const NodeView* view = Find(r.name);
  if (view == nullptr) {
    EndNodeFailed(r, nullptr, "node no longer exists (deleted while being updated)");
    return;
  }
  switch (r.phase) {
    case NodePhase::kCordoned:
      StepCordoned(r, *view);
      return;
    case NodePhase::kDraining:
      StepDraining(r, *view);
      return;
    case NodePhase::kUpdating:
      StepUpdating(r, *view);
      return;
    case NodePhase::kScanning:
      StepScanning(r, *view);
      return;
    case NodePhase::kPreUpdateHook:
    case NodePhase::kPostUpdateHook:
      StepHook(r, *view);
      return;
    case NodePhase::kRebooting:
      StepRebooting(r, *view);
      return;
    case NodePhase::kVerifying:
      StepVerifying(r, *view);
      return;
    case NodePhase::kUncordoned:
      if (r.restore_to) WithdrawUnanswered(r, *view);
      // A write of ours (a cordon, the uncordon) may still land or show: decided once it has.
      if (AwaitingOwnWrite(*view)) return;
      if (r.was_unschedulable || !view->unschedulable) {
        if (r.restore_to) {
          EndNodeRestored(r);
        } else {
          AfterUpdate(r);
        }
        return;
      }
      Act(ActionType::kUncordon, r.name);
      return;
    default:
      // An in-flight phase this version does not know (written by a newer controller):
      // a failure rather than a spin.
      EndNodeFailed(r, view, std::string("unexpected phase ") + crd::NodePhaseName(r.phase));
      return;
  }
}

// The node enters its final `phase` now, with `message`.
void Pass::EndNode(NodeResult& r, NodePhase phase, const std::string& message) {
  Enter(r, phase);
  r.finish_time = now_;
  r.message = message;
}

void Pass::EndNodeSucceeded(NodeResult& r) {
  const bool left_cordoned =
      run_.spec.failback_mode == crd::FailbackMode::kNoFailback && !r.was_unschedulable;
  EndNode(r, NodePhase::kSucceeded,
          NodeSucceededText(r.name, r.updates_installed, r.rebooted, r.reboot_kind,
                            r.was_unschedulable, left_cordoned));
  Event(RunEvent::Normal("NodeUpdated", OutcomeText(r)));
  r.installed.clear();
}

// Fails the node where it stands: a node the run cordoned stays cordoned, for inspection,
// and nothing left to the agent (an unanswered request, a re-scan to come) stays asked.
void Pass::EndNodeFailed(NodeResult& r, const NodeView* view, const std::string& why) {
  if (view != nullptr) WithdrawUnanswered(r, *view);
  std::string message = why;
  if (view != nullptr && view->unschedulable && !r.was_unschedulable) {
    message += "; node left cordoned for inspection (kubectl uncordon " + r.name + " releases it)";
  }
  EndNode(r, NodePhase::kFailed, message);
  Event(RunEvent::Warning("NodeFailed", OutcomeText(r)));
  r.installed.clear();
}

// Brings a node that will not be (fully) updated back into service: uncordoned (unless an
// admin had cordoned it), then it ends in `to` with `why` as its message.
void Pass::RestoreNode(NodeResult& r, NodePhase to, const std::string& why) {
  r.restore_to = to;
  r.message = why;
  Enter(r, NodePhase::kUncordoned);
  // A cordon (and its drain) this very pass decided, as when a pre-update hook ended just
  // before a stop, is not to be made.
  std::erase_if(d_.actions, [&](const NodeAction& a) {
    return a.node == r.name && (a.type == ActionType::kCordon || a.type == ActionType::kDrain ||
                                a.type == ActionType::kForceDrain);
  });
  const NodeView* view = Find(r.name);
  if (view != nullptr) WithdrawUnanswered(r, *view);
  // A write of ours not yet made, or made and not yet shown (a cordon), would leave the node
  // cordoned with no status saying so: StepNode's Uncordoned step decides once it has landed.
  if (view != nullptr && AwaitingOwnWrite(*view)) return;
  if (view != nullptr && view->unschedulable && !r.was_unschedulable) {
    Act(ActionType::kUncordon, r.name);
    return;
  }
  EndNodeRestored(r);
}

// Whether a write of ours to the node may still land or show (NodeView::own_write_pending):
// then the node's step waits for it, and the run is looked at again shortly.
bool Pass::AwaitingOwnWrite(const NodeView& view) {
  if (!view.own_write_pending) return false;
  Requeue(kDrainPollInterval);
  return true;
}

// A node being restored is uncordoned (or was meant to stay cordoned): it ends as
// RestoreNode was told.
void Pass::EndNodeRestored(NodeResult& r) {
  const NodePhase to = *r.restore_to;
  r.restore_to.reset();
  EndNode(r, to, r.message + RestoredSuffix(r.was_unschedulable));
  Event(RunEvent::Warning(to == NodePhase::kFailed ? "NodeFailed" : "NodeSkipped",
                          r.name + ": " + r.message));
}

}  // namespace kcau::reconcilers::planner
