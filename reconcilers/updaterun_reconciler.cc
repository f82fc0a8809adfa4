#include "reconcilers/updaterun_reconciler.h"

#include <spdlog/spdlog.h>

#include <functional>
#include <map>
#include <optional>
#include <utility>

#include "common/verbosity.h"
#include "crd/run_state.h"
#include "crd/updaterun_codec.h"
#include "crd/validation.h"
#include "kube/kube_client.h"
#include "reconcilers/applied_spec.h"
#include "reconcilers/cluster_source.h"
#include "reconcilers/conditions.h"
#include "reconcilers/event_log_fields.h"
#include "reconcilers/invalid_run.h"
#include "reconcilers/kstatus_conditions.h"
#include "reconcilers/node_actions.h"
#include "reconcilers/pod_counts.h"
#include "reconcilers/rollout_planner.h"
#include "reconcilers/run_finalizer.h"
#include "reconcilers/run_lock.h"
#include "reconcilers/run_prerequisites.h"

namespace kcau::reconcilers {

namespace {

using kube::Json;

// Status timestamps have second precision on the wire; deciding with the same precision
// keeps a re-read status equal to the one just written, so an unchanged run writes nothing.
TimePoint NowSeconds(const Clock& clock) {
  return std::chrono::floor<std::chrono::seconds>(clock.Now());
}

// whatIf and mode Scan change nothing: they take no run lock and need no finalizer.
bool ReadOnly(const crd::UpdateRun& run) {
  return run.spec.what_if.value_or(false) || run.spec.mode == crd::RunMode::kScan;
}

// The run stays Pending: Progressing False, reason Locked, naming the holder; looked at again
// every kLockPollInterval (the holder's end wakes nothing here).
RolloutDecision WaitForLock(const crd::UpdateRun& run, const std::string& why, TimePoint now) {
  RolloutDecision d;
  d.status = run.status;
  d.status.observed_generation = run.generation;
  const crd::Condition* before = FindCondition(d.status.conditions, crd::kConditionProgressing);
  const bool news = before == nullptr || before->reason != "Locked" || before->message != why;
  SetCondition(d.status.conditions, crd::kConditionProgressing, ConditionStatus::kFalse, "Locked",
               why, run.generation, now);
  SetKstatusConditions(d.status, run.generation, now);
  // The Locked Event marks the start; the planner lifts the block once the run has the lock.
  if (!d.status.blocked || d.status.blocked->reason != crd::kBlockedByLocked) {
    d.status.blocked = crd::Blocked{crd::kBlockedByLocked, why, now};
  }
  d.status.blocked->message = why;
  if (news) d.events.push_back(RunEvent::Normal("Locked", why));
  d.requeue_after = kLockPollInterval;
  return d;
}

// The Events that follow a node from phase to phase (SetNodePhaseEvents).
bool IsNodePhaseEvent(const RunEvent& event) {
  return event.reason == "NodeStatusNotification" || event.reason == "NodeUpdateStarted";
}

}  // namespace

// The state one pass builds step by step. `read` is the run as the pass found it; `current`
// is the run as last written (finalizer, status): what a later write must build on.
struct UpdateRunReconciler::Pass {
  std::string name;
  TimePoint now;
  Json read;
  Json current;
  // Decoded from `read`; its spec with the live edits applied and the hook runner resolved.
  crd::UpdateRun run;
  bool ended = false;  // Succeeded or Failed, perhaps for an older generation
  std::optional<SpecEdit> edit;
  std::vector<NodeView> nodes;
  // Set by GateStart when the run must wait for the lock, else by Decide.
  std::optional<RolloutDecision> decision;
  ActionOutcome acted;
  bool status_written = false;
};

UpdateRunReconciler::UpdateRunReconciler(kube::KubeClient& client, ClusterSource& cluster,
                                         const Clock& clock, RunObserver* observer,
                                         const agent::RequestSigningKey& signing_key,
                                         const std::string& run_lock_namespace,
                                         HookRunnerPolicy hook_policy)
    : client_(client),
      cluster_(cluster),
      clock_(clock),
      observer_(observer),
      signing_key_(signing_key),
      events_(client, clock),
      elapsed_(clock),
      locks_(client, run_lock_namespace, elapsed_),
      hook_policy_(std::move(hook_policy)),
      unseen_writes_(clock),
      executor_(kActionsInFlight) {}

ReconcileResult UpdateRunReconciler::Reconcile(const std::string& run_name) {
  ReconcileResult result;
  for (int attempt = 1; attempt <= kConflictAttempts; ++attempt) {
    PassOutcome pass = ReconcileOnce(run_name);
    result = std::move(pass.result);
    if (!pass.conflict) return result;
    if (V(4)) {
      spdlog::info("updaterun {}: status write conflicted (attempt {}): re-reading", run_name,
                   attempt);
    }
  }
  return result;  // still conflicting: the queue's per-key backoff takes over
}

PassOutcome UpdateRunReconciler::ReconcileOnce(const std::string& run_name) {
  Pass pass;
  pass.name = run_name;
  if (Stop stop = Read(pass)) return *stop;
  if (Stop stop = EnsureFinalizer(pass)) return *stop;
  if (Stop stop = ReadCluster(pass)) return *stop;
  if (Stop stop = GateStart(pass)) return *stop;
  if (Stop stop = Decide(pass)) return *stop;
  return Apply(pass);
}

// Reads and decodes the run. A run gone is forgotten; one that cannot be decoded is ended.
UpdateRunReconciler::Stop UpdateRunReconciler::Read(Pass& pass) {
  auto object = client_.Get(kube::resources::UpdateRuns(), {"", pass.name});
  if (!object.ok()) {
    if (object.status().code() == StatusCode::kNotFound) {
      if (observer_ != nullptr) observer_->RunGone(pass.name);
      refusals_.Forget(pass.name);
      return PassOutcome::Done(ReconcileResult::Done());  // deleted: nothing left to do
    }
    return PassOutcome::Done(ReconcileResult::Error("reading updaterun " + pass.name + ": " +
                                                    object.status().ToString()));
  }
  pass.now = NowSeconds(clock_);
  pass.read = *object;
  pass.current = *object;
  auto run = crd::DecodeUpdateRun(*object);
  if (!run.ok()) {
    return EndInvalidRun(client_, events_, pass.name, *object, "Invalid", run.status().message(),
                         pass.now);
  }
  pass.run = std::move(*run);
  pass.ended = crd::IsEndedPhase(pass.run.status.phase);
  if (!pass.ended) pass.edit = ApplySpecEdits(pass.run, pass.read);
  return std::nullopt;
}

// An ended run loses kcau's finalizer and the pass ends; a run being deleted that never held
// it is done; a run about to act gains it.
UpdateRunReconciler::Stop UpdateRunReconciler::EnsureFinalizer(Pass& pass) {
  const crd::UpdateRun& run = pass.run;
  if (crd::IsEnded(run)) {
    // An ended run is a record: no need to read the cluster for it (node events wake every
    // run, and most runs in a long-lived cluster are finished ones). Its finalizer goes, if
    // an earlier pass could not remove it.
    if (HasRunFinalizer(pass.current)) {
      auto released = SetRunFinalizer(client_, pass.current, false);
      if (!released.ok()) {
        return PassOutcome::WriteFailed("updaterun " + pass.name + ": removing the finalizer",
                                        released.status());
      }
    }
    return PassOutcome::Done(ReconcileResult::Terminal());
  }
  if (run.deleting && !HasRunFinalizer(pass.current)) {
    return PassOutcome::Done(ReconcileResult::Done());  // going, never started under kcau
  }
  if (!run.deleting && !pass.ended && !HasRunFinalizer(pass.current) && !ReadOnly(run)) {
    // Before any node is touched: deleting the run from now on cancels it first.
    auto held = SetRunFinalizer(client_, pass.current, true);
    if (!held.ok()) {
      return PassOutcome::WriteFailed("updaterun " + pass.name + ": adding the finalizer",
                                      held.status());
    }
    pass.current = *held;
  }
  return std::nullopt;
}

// The nodes, and the pod counts of those whose decision depends on them.
UpdateRunReconciler::Stop UpdateRunReconciler::ReadCluster(Pass& pass) {
  auto nodes = cluster_.Nodes();
  if (!nodes.ok()) {
    return PassOutcome::Done(ReconcileResult::Error("reading nodes: " + nodes.status().ToString()));
  }
  pass.nodes = std::move(*nodes);
  if (Status counted = CountPods(cluster_, PodCountsNeeded(pass.run), pass.nodes); !counted.ok()) {
    return PassOutcome::Done(ReconcileResult::Error("counting pods: " + counted.ToString()));
  }
  refusals_.Fill(pass.name, pass.nodes);
  return std::nullopt;
}

// Before a run starts: its hooks must be allowed and what they name must exist (else the run
// ends, naming the field), and it must hold its target's run lock (else it waits, Locked).
UpdateRunReconciler::Stop UpdateRunReconciler::GateStart(Pass& pass) {
  crd::UpdateRun& run = pass.run;
  // Hooks run as the controller's policy allows (--hook-* flags), never simply as the run
  // asks: a run asking for more is refused before it starts, and the hooks of one naming no
  // one run as the policy's defaults. A policy narrowed by a restart while a run is under
  // way gives its remaining hooks the defaults rather than strand its nodes cordoned.
  const ResolvedHookRunner runner = ResolveHookRunner(run.spec.hook_runner, hook_policy_);
  run.spec.hook_runner = runner.runner;
  const bool starting = run.status.plan.empty() && !ReadOnly(run) && !run.deleting;
  if (!starting) {
    if (!runner.refusals.empty() && (run.spec.pre_update_hook || run.spec.post_update_hook)) {
      spdlog::warn("updaterun {}: hooks run as the defaults of --hook-*: {}", pass.name,
                   crd::FormatFieldErrors(runner.refusals));
    }
    return std::nullopt;
  }
  if (!runner.refusals.empty()) {
    return EndInvalidRun(client_, events_, pass.name, pass.current, "HookRunnerNotAllowed",
                         crd::FormatFieldErrors(runner.refusals), pass.now);
  }
  // Hooks' ConfigMaps are checked before the run starts: a typo must not surface as a
  // failed node half-way through.
  auto missing = MissingPrerequisite(client_, run.spec, locks_.lease_namespace());
  if (!missing.ok()) {
    return PassOutcome::Done(
        ReconcileResult::Error("reading hook ConfigMaps: " + missing.status().ToString()));
  }
  if (!missing->empty()) {
    return EndInvalidRun(client_, events_, pass.name, pass.current, "Invalid", *missing, pass.now);
  }
  auto lock = locks_.Check(run, pass.nodes, pass.now);
  if (!lock.ok()) {
    return PassOutcome::Done(ReconcileResult::Error("updaterun " + pass.name +
                                                    ": run lock: " + lock.status().ToString()));
  }
  if (lock->verdict == RunLockVerdict::kWait) {
    pass.decision = WaitForLock(run, lock->message, pass.now);
  }
  return std::nullopt;
}

// The planner's decision (unless the gate already decided to wait), the spec edits it
// applies, and, for a run that is to act, the run lock, which may still make it wait.
UpdateRunReconciler::Stop UpdateRunReconciler::Decide(Pass& pass) {
  if (pass.decision) return std::nullopt;  // waiting for the lock
  const crd::UpdateRun& run = pass.run;
  const ElapsedFn elapsed = [this](TimePoint then) { return elapsed_.Since(then); };
  pass.decision = PlanRollout(run, pass.nodes, pass.now, elapsed, KCAU_VERSION);
  RolloutDecision& decision = *pass.decision;
  if (!pass.ended) RecordSpecEdit(run, pass.read, pass.edit, decision, pass.now);
  if (decision.terminal || decision.status.plan.empty() || ReadOnly(run)) return std::nullopt;
  // Active (or starting): the run must hold its target's lock before it touches a node.
  auto lock = locks_.Acquire(run, pass.nodes, pass.now);
  if (!lock.ok()) {
    return PassOutcome::Done(ReconcileResult::Error("updaterun " + pass.name +
                                                    ": run lock: " + lock.status().ToString()));
  }
  if (lock->verdict == RunLockVerdict::kWait && run.status.plan.empty()) {
    decision = WaitForLock(run, lock->message, pass.now);
  } else if (lock->verdict == RunLockVerdict::kWait) {
    // Already running when another run took the lock over (forceRecovery): stopping
    // half-way would be worse; finish, and say so.
    spdlog::warn("updaterun {}: run lock taken by another run: {}", pass.name, lock->message);
  } else if (lock->verdict == RunLockVerdict::kRecover) {
    decision.events.push_back(RunEvent::Warning(
        "LockRecovered", "forceRecovery: took over the run lock " + locks_.lease_namespace() + "/" +
                             RunLockName(run.spec) + ": " + lock->message));
  }
  return std::nullopt;
}

// Status first, then the actions it announces, then Events; an ended run then frees its lock
// and finalizer.
PassOutcome UpdateRunReconciler::Apply(Pass& pass) {
  if (Stop stop = WriteDecidedStatus(pass)) return *stop;
  if (Stop stop = ActOnNodes(pass)) return *stop;
  RecordEvents(pass);
  const RolloutDecision& decision = *pass.decision;
  if (observer_ != nullptr) {
    observer_->RunReconciled(pass.name, pass.run.status, decision, pass.acted);
  }
  if (pass.acted.own_pod_left && hand_over_) {
    // This controller's own pod is on a node being drained. Evicting it while it leads would
    // stop the run's controller mid-drain; instead the lead goes to another replica first,
    // which then evicts this pod like any other.
    spdlog::warn(
        "updaterun {}: this controller's pod {}/{} is on a node being drained: handing "
        "the lead over before it is evicted",
        pass.name, own_pod_->ns, own_pod_->name);
    hand_over_();
  }
  if (Stop stop = ReleaseEndedRun(pass)) return *stop;

  ReconcileResult result = ReconcileResult::Done();
  if (decision.terminal) {
    result = ReconcileResult::Terminal();
  } else if (decision.requeue_after) {
    result = ReconcileResult::After(*decision.requeue_after);
  }
  result.status_written = pass.status_written;
  if (V(4)) {
    spdlog::info("updaterun {}: {} action(s), {} event(s), {}", pass.name, decision.actions.size(),
                 decision.events.size(),
                 result.terminal ? std::string("ended")
                 : result.requeue_after
                     ? "look again in " +
                           std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              *result.requeue_after)
                                              .count()) +
                           " ms"
                     : std::string("wait for a change"));
  }
  return PassOutcome::Done(result);
}

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
  const std::vector<NodeAction>& actions = pass.decision->actions;
  if (actions.empty()) return std::nullopt;
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
    Status s = events_.Record(pass.name, pass.run.uid, event);
    if (!s.ok()) spdlog::warn("updaterun {}: recording event: {}", pass.name, s.ToString());
  }
}

// A run that ended in this pass frees its run lock and its finalizer.
UpdateRunReconciler::Stop UpdateRunReconciler::ReleaseEndedRun(Pass& pass) {
  const RolloutDecision& decision = *pass.decision;
  if (!decision.terminal) return std::nullopt;
  refusals_.Forget(pass.name);
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
