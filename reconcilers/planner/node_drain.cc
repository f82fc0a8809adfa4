// The node state machine's Cordoned and Draining phases (docs/architecture.md): the node is
// cordoned, its pods are evicted within the PodDisruptionBudgets, and drain Force deletes
// what the budgets still protect once drainTimeoutMinutes is over. Pure.
#include <algorithm>

#include "reconcilers/planner/pass.h"
#include "reconcilers/planner/planner_messages.h"

namespace kcau::reconcilers::planner {

using crd::NodePhase;

// With drain Normal the drain goes in the cordon's job, right after it, as `kubectl drain`
// does: waiting for a pass to see the cordon first held each node a pass longer (~0.3 s at
// 5,000 nodes, docs/bench.md). The node is Draining before either is made, so a restarted
// controller drains it again, and StepDraining cordons it again if the cordon did not hold.
// A node found cordoned already (by an admin, or by the run this one takes over from) is
// drained once, by StepDraining: in the step Admit gives it next, or after a pre-update hook
// in the next pass.
void Pass::Cordon(NodeResult& r, const NodeView& view) {
  const bool recovered = view.unschedulable && !view.cordoned_by.empty();
  const bool drains = run_.spec.drain != crd::DrainMode::kSkip;
  Enter(r, drains ? NodePhase::kDraining : NodePhase::kCordoned);
  Event(RunEvent::Normal("NodeUpdateStarted", r.name + ": cordoning"));
  if (!view.unschedulable || recovered) Act(ActionType::kCordon, r.name, RunIdentity(run_));
  // drain Force also evicts pods nothing recreates: the next pass names them first.
  if (!drains || run_.spec.drain == crd::DrainMode::kForce || view.unschedulable) return;
  Act(ActionType::kDrain, r.name);
  Requeue(kDrainPollInterval);
}

void Pass::StepCordoned(NodeResult& r, const NodeView& view) {
  if (!view.unschedulable) {
    Act(ActionType::kCordon, r.name, RunIdentity(run_));
    return;
  }
  if (run_.spec.drain == crd::DrainMode::kSkip) {
    // ForcePauseNoDrain: cordon only; the pods stay where they are.
    StartAttempt(r);
    return;
  }
  Enter(r, NodePhase::kDraining);
  StepDraining(r, view);
}

// Evictions are refused (429) while a PodDisruptionBudget would break; those refusals are
// retried for drainTimeoutMinutes without counting as update attempts (the cmdlet's
// SuspendClusterNodeTimeoutMinutes). Then drain Normal gives the node up (uncordoned, failed)
// and drain Force deletes what is left (ForcePauseAndDrain).
void Pass::StepDraining(NodeResult& r, const NodeView& view) {
  if (!view.unschedulable) {
    // Our cordon is on its way (its job queued or running, or made and not yet cached): the
    // drain made with it follows it.
    if (AwaitingOwnWrite(view)) return;
    // The cordon failed, or someone uncordoned the node: pods could be scheduled back onto
    // it, so it is cordoned again, and drained once a pass sees that cordon (a drain Force
    // must never evict pods before the status has named those nothing recreates).
    Act(ActionType::kCordon, r.name, RunIdentity(run_));
    return;
  }
  if (view.evictable_pods == 0) {
    UnblockNode(r);
    StartAttempt(r);
    return;
  }
  const auto& spec = run_.spec;
  const bool force = spec.drain == crd::DrainMode::kForce;
  NoteUnmanagedPods(r, view, force);
  if (!view.eviction_refusals.empty()) {
    BlockNode(r, crd::kBlockedByDisruptionBudget, EvictionsRefusedMessage(view.eviction_refusals));
  } else if (!view.unmanaged_pods.empty() && !force) {
    // NoteUnmanagedPods announced it (UnmanagedPodsBlockDrain).
    BlockNode(r, crd::kBlockedByUnmanagedPods, r.message, /*announce=*/false);
  } else {
    UnblockNode(r);
  }
  const Duration waited = Elapsed(r.phase_time);
  if (spec.drain_timeout_minutes || force) {
    const Duration timeout = std::chrono::minutes(spec.drain_timeout_minutes.value_or(0));
    const std::string left = std::to_string(view.evictable_pods) + " pod(s) left";
    if (waited >= timeout && force) {
      if (waited == timeout || r.message.empty()) {
        r.message = "drain Force: deleting pods a PodDisruptionBudget still protects";
        Event(RunEvent::Warning("DrainForced", r.name + ": " + left + " after " +
                                                   Minutes(spec.drain_timeout_minutes.value_or(0)) +
                                                   "; deleting them (drain Force)"));
      }
      Act(ActionType::kForceDrain, r.name);
      Requeue(kDrainPollInterval);
      return;
    }
    if (waited >= timeout) {
      RestoreNode(r, NodePhase::kFailed,
                  "drain did not finish within drainTimeoutMinutes=" +
                      std::to_string(*spec.drain_timeout_minutes) + " (" + left +
                      ", evictions refused by a PodDisruptionBudget)");
      return;
    }
    Requeue(std::min<Duration>(kDrainPollInterval, timeout - waited));
  } else {
    Requeue(kDrainPollInterval);
  }
  Act(ActionType::kDrain, r.name);
}

// Pods without a controller are lost once evicted. Without drain: Force they are left, so
// the drain waits (and, with drainTimeoutMinutes, gives the node up); with it they are
// evicted. Either way the node's message names them, and an Event says it once.
void Pass::NoteUnmanagedPods(NodeResult& r, const NodeView& view, bool force) {
  if (view.unmanaged_pods.empty()) return;
  const std::string message = UnmanagedPodsMessage(force, view.unmanaged_pods);
  if (r.message == message) return;
  r.message = message;
  Event(RunEvent::Warning(force ? "UnmanagedPodsEvicted" : "UnmanagedPodsBlockDrain",
                          r.name + ": " + message));
}

}  // namespace kcau::reconcilers::planner
