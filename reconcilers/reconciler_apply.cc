// Applying a decided pass (updaterun_reconciler.h): status first, then the actions it
// announces, then Events; a run that ended frees its run lock and finalizer.
#include <spdlog/spdlog.h>

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "common/verbosity.h"
#include "crd/updaterun_codec.h"
#include "reconcilers/event_log_fields.h"
#include "reconcilers/run_finalizer.h"
#include "reconcilers/run_status_write.h"
#include "reconcilers/updaterun_reconciler.h"
#include "reconcilers/updaterun_reconciler_pass.h"

namespace kcau::reconcilers {

namespace {

// The Events that follow a node from phase to phase (SetNodePhaseEvents).
bool IsNodePhaseEvent(const RunEvent& event) {
  return event.reason == "NodeStatusNotification" || event.reason == "NodeUpdateStarted";
}

}  // namespace

// Writes the decided status when it changed. A 409 stops the pass before anything is acted
// on: Reconcile re-reads and decides again.
UpdateRunReconciler::Stop UpdateRunReconciler::WriteDecidedStatus(Pass& pass) {
  const crd::UpdateRunStatus& status = pass.decision->status;
  if (status == pass.run.status) return std::nullopt;
  auto written = WriteRunStatus(client_, pass.name, pass.run, pass.current,
                                crd::EncodeUpdateRunStatus(status));
  if (!written.ok()) {
    return PassOutcome::WriteFailed("writing status of " + pass.name, written.status());
  }
  pass.status_written = true;
  pass.current = *written;
  // The timestamps just written are pinned to the monotonic clock now, before a step of
  // the wall clock could change how old they look.
  if (status.start_time) elapsed_.Pin(*status.start_time);
  for (const auto& r : status.nodes) {
    if (r.phase_time) elapsed_.Pin(*r.phase_time);
  }
  if (V(2)) {
    spdlog::info("updaterun {}: status written: phase {}, {} succeeded, {} failed", pass.name,
                 crd::RunPhaseName(status.phase), status.nodes_succeeded, status.nodes_failed);
  }
  return std::nullopt;
}

// A node's own actions run in order (cordon before drain, the request after); different
// nodes' actions run side by side on the executor, so one wave of drains does not hold every
// other node's transition. An action that fails stops what follows on its node; the first
// failure, in the planner's order, is the pass's error.
UpdateRunReconciler::Stop UpdateRunReconciler::ActOnNodes(Pass& pass) {
  // What the run's background drains did since its last pass is this pass's to report.
  BackgroundDrains::Finished drained = drains_.Take(pass.name);
  MergeActionOutcome(drained.outcome, pass.acted);
  Stop stop = ActOnNodesNow(pass);
  if (!stop && drained.failure) {
    return PassOutcome::Done(
        ReconcileResult::Error("updaterun " + pass.name + ", " + *drained.failure));
  }
  return stop;
}

// Hands `action` (a drain) to the background pool, unless the node's drain already runs
// there. Its end records what PodDisruptionBudgets refused and wakes the run.
void UpdateRunReconciler::StartBackgroundDrain(const Pass& pass, const NodeAction& action,
                                               std::shared_ptr<const crd::UpdateRunSpec> spec) {
  const std::string run = pass.name;
  drains_.Start(
      run, action.node,
      [this, action, spec](ActionOutcome& outcome) {
        return ApplyNodeAction(client_, cluster_, action, *spec, locks_.lease_namespace(),
                               signing_key_, outcome, own_pod_);
      },
      [this, run](const ActionOutcome& outcome, const Status&) {
        refusals_.Record(run, outcome.eviction_refusals);
        wake_(run);
      });
}

UpdateRunReconciler::Stop UpdateRunReconciler::ActOnNodesNow(Pass& pass) {
  const std::vector<NodeAction>& actions = pass.decision->actions;
  if (actions.empty()) return std::nullopt;
  // The spec background drains read, shared by this pass's drains and outliving it.
  std::shared_ptr<const crd::UpdateRunSpec> drain_spec;
  if (wake_) drain_spec = std::make_shared<const crd::UpdateRunSpec>(pass.run.spec);
  // Node -> the resourceVersion the pass decided from, for the nodes acted on.
  std::map<std::string, std::string> read_version;
  for (const auto& action : actions) read_version.emplace(action.node, "");
  for (const auto& node : pass.nodes) {
    auto it = read_version.find(node.name);
    if (it != read_version.end()) it->second = node.resource_version;
  }
  auto version_of = [&](const std::string& node) {
    auto it = read_version.find(node);
    return it == read_version.end() ? std::string() : it->second;
  };
  std::vector<std::vector<const NodeAction*>> by_node;
  std::map<std::string, size_t> slot;  // node -> its index in by_node
  for (const auto& action : actions) {
    // Decided again only because the cache has not shown the write yet.
    if (unseen_writes_.Unseen(action, version_of(action.node))) continue;
    auto [it, added] = slot.emplace(action.node, by_node.size());
    if (added) by_node.emplace_back();
    by_node[it->second].push_back(&action);
  }
  struct Done {
    ActionOutcome outcome;
    Status status;
    const NodeAction* failed = nullptr;
  };
  std::vector<Done> done(by_node.size());
  std::vector<std::function<void()>> jobs;
  jobs.reserve(by_node.size());
  for (size_t i = 0; i < by_node.size(); ++i) {
    jobs.push_back([&, i] {
      for (const NodeAction* action : by_node[i]) {
        if (drain_spec &&
            (action->type == ActionType::kDrain || action->type == ActionType::kForceDrain)) {
          // What follows a drain on its node waits for the drain's end: decided again then.
          StartBackgroundDrain(pass, *action, drain_spec);
          return;
        }
        Status s =
            ApplyNodeAction(client_, cluster_, *action, pass.run.spec, locks_.lease_namespace(),
                            signing_key_, done[i].outcome, own_pod_);
        if (!s.ok()) {
          done[i].status = s;
          done[i].failed = action;
          return;
        }
        unseen_writes_.Written(*action, version_of(action->node));
      }
    });
  }
  executor_.RunAll(std::move(jobs));
  const NodeAction* failed = nullptr;
  Status failure;
  for (auto& d : done) {
    MergeActionOutcome(d.outcome, pass.acted);
    if (d.failed != nullptr && (failed == nullptr || d.failed < failed)) {
      failed = d.failed;
      failure = d.status;
    }
  }
  refusals_.Record(pass.name, pass.acted.eviction_refusals);
  if (failed != nullptr) {
    return PassOutcome::Done(ReconcileResult::Error("updaterun " + pass.name + ", node " +
                                                    failed->node + ": " + failure.ToString()));
  }
  return std::nullopt;
}

// Events are told, not relied on: one that cannot be recorded is logged and the pass goes on.
void UpdateRunReconciler::RecordEvents(const Pass& pass) {
  for (const auto& event : pass.decision->events) {
    if (!node_phase_events_ && IsNodePhaseEvent(event)) continue;
    LogWith(spdlog::level::info, EventLogFields(event, pass.decision->status),
            "updaterun {}: {}: {}", pass.name, event.reason, event.message);
    auto record = [this, run = pass.name, uid = pass.run.uid, event] {
      Status s = events_.Record(run, uid, event);
      if (!s.ok()) spdlog::warn("updaterun {}: recording event: {}", run, s.ToString());
    };
    if (wake_) {
      event_sender_.Submit(std::move(record));
    } else {
      record();
    }
  }
}

// A run that ended in this pass frees its run lock and its finalizer.
UpdateRunReconciler::Stop UpdateRunReconciler::ReleaseEndedRun(Pass& pass) {
  const RolloutDecision& decision = *pass.decision;
  if (!decision.terminal) return std::nullopt;
  refusals_.Forget(pass.name);
  drains_.Forget(pass.name);
  if (!pass.run.status.plan.empty()) {
    // Free the lock unless Locked. (A lock left by a failed release holds nothing:
    // DecideRunLock lets the next run take a lock whose holder ended cleanly.)
    if (Status released = locks_.Release(pass.run, decision.status, pass.nodes); !released.ok()) {
      return PassOutcome::Done(ReconcileResult::Error(
          "updaterun " + pass.name + ": releasing the run lock: " + released.ToString()));
    }
  }
  if (HasRunFinalizer(pass.current)) {
    // Nothing is left to clean up, so a delete may now take the run at once. If this fails,
    // EnsureFinalizer removes it in a later pass.
    auto released = SetRunFinalizer(client_, pass.current, false);
    if (!released.ok() && released.status().code() != StatusCode::kNotFound) {
      return PassOutcome::Done(ReconcileResult::Error(
          "updaterun " + pass.name + ": removing the finalizer: " + released.status().ToString()));
    }
  }
  return std::nullopt;
}

}  // namespace kcau::reconcilers
