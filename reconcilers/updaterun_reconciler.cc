#include "reconcilers/updaterun_reconciler.h"

#include <spdlog/spdlog.h>

#include <functional>
#include <map>
#include <optional>
#include <set>
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
#include "reconcilers/run_status_write.h"
#include "reconcilers/updaterun_reconciler_pass.h"

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

}  // namespace

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
      executor_("pass-actions", kActionsInFlight, BoundedExecutor::Priority::kBulk) {}

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

// A run's expected uncordons (prompt_uncordons.h) are those of its last pass that wrote its
// status, or found it unchanged: they stand for the status in the API server. A pass that
// ends before that (a conflict, an error, an ended or invalid run) leaves none, so nothing
// is uncordoned early on a status this controller no longer knows.
PassOutcome UpdateRunReconciler::ReconcileOnce(const std::string& run_name) {
  Pass pass;
  pass.name = run_name;
  PassOutcome outcome = Steps(pass);
  if (!pass.uncordons_expected) prompt_.Forget(run_name);
  return outcome;
}

PassOutcome UpdateRunReconciler::Steps(Pass& pass) {
  if (Stop stop = Read(pass)) return *stop;
  if (Stop stop = EnsureFinalizer(pass)) return *stop;
  if (Stop stop = ReadCluster(pass)) return *stop;
  if (Stop stop = GateStart(pass)) return *stop;
  if (Stop stop = Decide(pass)) return *stop;
  return Apply(pass);
}

// Ends an invalid run Failed (EndInvalidRun); once it has, node changes no longer wake it.
PassOutcome UpdateRunReconciler::EndInvalid(const std::string& name, const kube::Json& object,
                                            const std::string& reason, const std::string& message,
                                            TimePoint now) {
  PassOutcome outcome = EndInvalidRun(client_, events_, name, object, reason, message, now);
  if (outcome.result.terminal) phases_.RecordEnded(name, crd::RunPhase::kFailed);
  return outcome;
}

// Reads and decodes the run. A run gone is forgotten; one that cannot be decoded is ended.
UpdateRunReconciler::Stop UpdateRunReconciler::Read(Pass& pass) {
  auto object = client_.Get(kube::resources::UpdateRuns(), {"", pass.name});
  if (!object.ok()) {
    if (object.status().code() == StatusCode::kNotFound) {
      if (observer_ != nullptr) observer_->RunGone(pass.name);
      phases_.Forget(pass.name);
      refusals_.Forget(pass.name);
      return PassOutcome::Done(ReconcileResult::Done());  // deleted: nothing left to do
    }
    return PassOutcome::Done(ReconcileResult::Error("reading updaterun " + pass.name + ": " +
                                                    object.status().ToString()));
  }
  pass.now = NowSeconds(clock_);
  auto run = crd::DecodeUpdateRun(*object);
  if (!run.ok()) {
    return EndInvalid(pass.name, *object, "Invalid", run.status().message(), pass.now);
  }
  // The tree of a run of thousands of nodes is megabytes: moved, not copied, and its node
  // entries dropped once decoded.
  pass.read = std::move(*object);
  pass.read_listed_nodes = TakeStatusNodes(pass.read);
  pass.run = std::move(*run);
  phases_.Record(pass.name, pass.run.generation, pass.run.status);
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
    if (HasRunFinalizer(pass.current())) {
      auto released = SetRunFinalizer(client_, pass.current(), false);
      if (!released.ok()) {
        return PassOutcome::WriteFailed("updaterun " + pass.name + ": removing the finalizer",
                                        released.status());
      }
    }
    return PassOutcome::Done(ReconcileResult::Terminal());
  }
  if (run.deleting && !HasRunFinalizer(pass.current())) {
    return PassOutcome::Done(ReconcileResult::Done());  // going, never started under kcau
  }
  if (!run.deleting && !pass.ended && !HasRunFinalizer(pass.current()) && !ReadOnly(run)) {
    // Before any node is touched: deleting the run from now on cancels it first.
    auto held = SetRunFinalizer(client_, pass.current(), true);
    if (!held.ok()) {
      return PassOutcome::WriteFailed("updaterun " + pass.name + ": adding the finalizer",
                                      held.status());
    }
    pass.written = std::move(*held);
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
  MarkOwnWritesPending(pass.name, pass.nodes);
  if (Status counted = CountPods(cluster_, PodCountsNeeded(pass.run), pass.nodes); !counted.ok()) {
    return PassOutcome::Done(ReconcileResult::Error("counting pods: " + counted.ToString()));
  }
  refusals_.Fill(pass.name, pass.nodes);
  return std::nullopt;
}

// The views of `run`'s nodes that a write of ours may still change (NodeView's
// own_write_pending): the cache lags our writes, and a job may not have made its write yet.
void UpdateRunReconciler::MarkOwnWritesPending(const std::string& run,
                                               std::vector<NodeView>& nodes) const {
  const std::set<std::string> running = background_.RunningNodes(run);
  for (NodeView& node : nodes) {
    node.own_write_pending = running.count(node.name) > 0 || unseen_writes_.AnyUnseen(node);
  }
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
    return EndInvalid(pass.name, pass.current(), "HookRunnerNotAllowed",
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
    return EndInvalid(pass.name, pass.current(), "Invalid", *missing, pass.now);
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
  KeepWhatApplyReads(pass);
  if (Stop stop = WriteDecidedStatus(pass)) return *stop;
  ExpectUncordons(pass);
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

}  // namespace kcau::reconcilers
