// Applying a decided pass (updaterun_reconciler.h): status first, then the actions it
// announces, then Events; a run that ended frees its run lock and finalizer.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <utility>
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

// Of the nodes, what the rest of the pass reads: the versions of those acted on, and all of
// them only when the run ends.
void UpdateRunReconciler::KeepWhatApplyReads(Pass& pass) {
  for (const auto& action : pass.decision->actions) pass.read_version.emplace(action.node, "");
  for (const auto& node : pass.nodes) {
    auto it = pass.read_version.find(node.name);
    if (it != pass.read_version.end()) it->second = node.resource_version;
  }
  if (!pass.decision->terminal) std::vector<NodeView>().swap(pass.nodes);
}

// Writes the decided status when it changed. A 409 stops the pass before anything is acted
// on: Reconcile re-reads and decides again.
UpdateRunReconciler::Stop UpdateRunReconciler::WriteDecidedStatus(Pass& pass) {
  const crd::UpdateRunStatus& status = pass.decision->status;
  if (status == pass.run.status) return std::nullopt;
  auto written =
      WriteRunStatus(client_, pass.name, pass.run, pass.current(), pass.read_listed_nodes, status);
  if (!written.ok()) {
    return PassOutcome::WriteFailed("writing status of " + pass.name, written.status());
  }
  pass.status_written = true;
  pass.written = std::move(*written);
  phases_.Record(pass.name, pass.run.generation, status);
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
// nodes' actions run side by side, so one wave of drains does not hold every other node's
// transition. An action that fails stops what follows on its node. Without background work
// the pass waits for them, and the first failure, in the planner's order, is the pass's
// error; with it (the controller) they are handed to background_ and the pass goes on: a
// failure is the error of the run's next pass.
UpdateRunReconciler::Stop UpdateRunReconciler::ActOnNodes(Pass& pass) {
  // What the run's background actions did since its last pass is this pass's to report.
  BackgroundNodeActions::Finished ended = background_.Take(pass.name);
  MergeActionOutcome(ended.outcome, pass.acted);
  Stop stop = ActOnNodesNow(pass);
  if (!stop && ended.failure) {
    return PassOutcome::Done(
        ReconcileResult::Error("updaterun " + pass.name + ", " + *ended.failure));
  }
  return stop;
}

// Applies one node's actions in order, each node write remembered until the cache shows it
// (unseen_node_writes.h); stops at the first failure, returning it and `failed`.
Status UpdateRunReconciler::ApplyNodeActions(const std::vector<const NodeAction*>& actions,
                                             const crd::UpdateRunSpec& spec,
                                             const std::string& read_version,
                                             ActionOutcome& outcome, const NodeAction** failed,
                                             const std::function<void()>& before_eviction) {
  for (const NodeAction* action : actions) {
    Status s = ApplyNodeAction(client_, cluster_, *action, spec, locks_.lease_namespace(),
                               signing_key_, outcome, own_pod_, before_eviction);
    if (!s.ok()) {
      // A timeout or a 5xx may have been applied all the same: until the cache shows, a
      // node being brought back must not be ended as if it never was cordoned.
      if (s.code() == StatusCode::kUnavailable) unseen_writes_.MaybeWritten(*action, read_version);
      if (failed != nullptr) *failed = action;
      return s;
    }
    unseen_writes_.Written(*action, read_version);
  }
  return Status::Ok();
}

UpdateRunReconciler::Stop UpdateRunReconciler::ActOnNodesNow(Pass& pass) {
  const std::vector<NodeAction>& actions = pass.decision->actions;
  if (actions.empty()) return std::nullopt;
  const std::map<std::string, std::string>& read_version = pass.read_version;
  std::vector<std::vector<const NodeAction*>> by_node;
  std::map<std::string, size_t> slot;  // node -> its index in by_node
  for (const auto& action : actions) {
    // Decided again only because the cache has not shown the write yet.
    if (unseen_writes_.Unseen(action, read_version.at(action.node))) continue;
    auto [it, added] = slot.emplace(action.node, by_node.size());
    if (added) by_node.emplace_back();
    by_node[it->second].push_back(&action);
  }
  if (wake_) {
    StartInBackground(pass, by_node, read_version);
    return std::nullopt;
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
      done[i].status =
          ApplyNodeActions(by_node[i], pass.run.spec, read_version.at(by_node[i].front()->node),
                           done[i].outcome, &done[i].failed);
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

// Hands each node's actions to background_, unless the node's previous ones still run there
// (they are decided again at the next pass, if still wanted). A job's end records what
// PodDisruptionBudgets refused and wakes the run.
void UpdateRunReconciler::StartInBackground(
    const Pass& pass, const std::vector<std::vector<const NodeAction*>>& by_node,
    const std::map<std::string, std::string>& read_version) {
  // The spec the jobs read, shared by this pass's jobs and outliving the pass.
  auto spec = std::make_shared<const crd::UpdateRunSpec>(pass.run.spec);
  const std::string run = pass.name;
  for (const auto& node_actions : by_node) {
    const std::string& node = node_actions.front()->node;
    if (background_.Running(run, node)) continue;
    std::vector<NodeAction> owned;
    for (const NodeAction* action : node_actions) owned.push_back(*action);
    StartNodeJob(run, std::move(owned), spec, read_version.at(node));
  }
}

// Queues one node's actions on background_ (false while a job of the node is there); its
// end records what PodDisruptionBudgets refused and wakes the run. What comes before a drain
// (its cordon) is a stage on the quick lane and the drain one on the drain lane: a node taken
// when a place frees is cordoned without waiting behind other nodes' evictions.
bool UpdateRunReconciler::StartNodeJob(const std::string& run, std::vector<NodeAction> actions,
                                       std::shared_ptr<const crd::UpdateRunSpec> spec,
                                       const std::string& read_version) {
  const std::string node = actions.front().node;
  auto drain = std::find_if(actions.begin(), actions.end(), [](const NodeAction& action) {
    return action.type == ActionType::kDrain || action.type == ActionType::kForceDrain ||
           action.type == ActionType::kFailback;
  });
  const bool returns = std::all_of(actions.begin(), actions.end(), [](const NodeAction& action) {
    return action.type == ActionType::kUncordon;
  });
  using Lane = BackgroundNodeActions::Lane;
  auto stage = [&](Lane lane, std::vector<NodeAction> owned) {
    return BackgroundNodeActions::Stage{
        lane, [this, owned = std::move(owned), spec, read_version](ActionOutcome& outcome) {
          std::vector<const NodeAction*> pointers;
          for (const auto& action : owned) pointers.push_back(&action);
          return ApplyNodeActions(pointers, *spec, read_version, outcome, nullptr,
                                  [this] { background_.YieldToReturns(kEvictionYieldAtMost); });
        }};
  };
  std::vector<BackgroundNodeActions::Stage> stages;
  if (drain != actions.begin() && drain != actions.end()) {
    stages.push_back(stage(Lane::kQuick, {actions.begin(), drain}));
  }
  if (drain != actions.end()) {
    stages.push_back(stage(Lane::kDrain, {drain, actions.end()}));
  } else {
    stages.push_back(stage(returns ? Lane::kReturning : Lane::kQuick, std::move(actions)));
  }
  return background_.Start(run, node, std::move(stages),
                           [this, run](const ActionOutcome& outcome, const Status&) {
                             refusals_.Record(run, outcome.eviction_refusals);
                             wake_(run);
                           });
}

void UpdateRunReconciler::NodeSeen(const NodeView& node) {
  if (!wake_) return;
  std::optional<PromptUncordons::Due> due = prompt_.Seen(node);
  if (!due) return;
  // A job of the node still queued or running (its last actions): the run's next pass
  // decides the uncordon instead.
  StartNodeJob(due->run, {due->uncordon}, due->spec, node.resource_version);
}

// The run's nodes one clean result away from their uncordon, for NodeSeen: set once the
// status that announces them is written, before the pass acts (whose failure leaves them).
void UpdateRunReconciler::ExpectUncordons(Pass& pass) {
  if (!wake_) return;
  pass.uncordons_expected = true;
  const std::vector<UncordonOnResult>& expected = pass.decision->uncordon_on_result;
  prompt_.Expect(
      pass.name, expected,
      expected.empty() ? nullptr : std::make_shared<const crd::UpdateRunSpec>(pass.run.spec));
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
  background_.Forget(pass.name);
  if (!pass.run.status.plan.empty()) {
    // Free the lock unless Locked. (A lock left by a failed release holds nothing:
    // DecideRunLock lets the next run take a lock whose holder ended cleanly.)
    if (Status released = locks_.Release(pass.run, decision.status, pass.nodes); !released.ok()) {
      return PassOutcome::Done(ReconcileResult::Error(
          "updaterun " + pass.name + ": releasing the run lock: " + released.ToString()));
    }
  }
  if (HasRunFinalizer(pass.current())) {
    // Nothing is left to clean up, so a delete may now take the run at once. If this fails,
    // EnsureFinalizer removes it in a later pass.
    auto released = SetRunFinalizer(client_, pass.current(), false);
    if (!released.ok() && released.status().code() != StatusCode::kNotFound) {
      return PassOutcome::Done(ReconcileResult::Error(
          "updaterun " + pass.name + ": removing the finalizer: " + released.status().ToString()));
    }
  }
  return std::nullopt;
}

}  // namespace kcau::reconcilers
