#include "reconcilers/updaterun_reconciler.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <utility>

#include "agent/protocol.h"
#include "common/verbosity.h"
#include "crd/updaterun_codec.h"
#include "crd/validation.h"
#include "kube/kube_client.h"
#include "reconcilers/cluster_source.h"
#include "reconcilers/conditions.h"
#include "reconcilers/node_actions.h"
#include "reconcilers/rollout_planner.h"
#include "reconcilers/run_finalizer.h"
#include "reconcilers/run_lock.h"
#include "reconcilers/run_metrics.h"
#include "reconcilers/spec_edits.h"

namespace kcau::reconcilers {

namespace {

using kube::Json;

int64_t GenerationOf(const Json& obj) {
  if (obj.has_object_field("metadata") && obj.at("metadata").has_integer_field("generation")) {
    return obj.at("metadata").at("generation").as_number().to_int64();
  }
  return 0;
}

// Status timestamps have second precision on the wire; deciding with the same precision
// keeps a re-read status equal to the one just written, so an unchanged run writes nothing.
TimePoint NowSeconds(const Clock& clock) {
  return std::chrono::floor<std::chrono::seconds>(clock.Now());
}

// The API server's schema should have refused a run we cannot read; if one gets through it
// is ended with the reason, never retried in a hot loop (sample-controller "absorb the
// error"). `reason` says which check refused it.
ReconcileResult EndInvalidRun(kube::KubeClient& client, EventRecorder& events,
                              const std::string& run_name, const Json& object,
                              const std::string& reason, const std::string& message, TimePoint now,
                              bool& conflict) {
  crd::UpdateRunStatus failed;
  failed.phase = crd::RunPhase::kFailed;
  const int64_t generation = GenerationOf(object);
  failed.observed_generation = generation;
  SetCondition(failed.conditions, crd::kConditionFailed, "True", reason, message, generation, now);
  SetCondition(failed.conditions, crd::kConditionProgressing, "False", reason, message, generation,
               now);
  SetCondition(failed.conditions, crd::kConditionSucceeded, "False", reason, message, generation,
               now);
  const Json& old_status = object.has_object_field("status") ? object.at("status") : Json();
  const bool same = old_status.is_object() && old_status.has_integer_field("observedGeneration") &&
                    old_status.at("observedGeneration").as_number().to_int64() == generation &&
                    old_status.has_string_field("phase") &&
                    old_status.at("phase").as_string() == "Failed";
  if (same) return ReconcileResult::Terminal();
  failed.revision = (old_status.is_object() && old_status.has_integer_field("revision")
                         ? old_status.at("revision").as_number().to_int64()
                         : 0) +
                    1;
  Json updated = object;
  updated["status"] = crd::EncodeUpdateRunStatus(failed);
  auto written = client.UpdateStatus(kube::resources::UpdateRuns(), updated);
  if (!written.ok()) {
    conflict = written.status().code() == StatusCode::kConflict;
    return ReconcileResult::Error("writing status of " + run_name + ": " +
                                  written.status().ToString());
  }
  spdlog::warn("updaterun {}: {}: {}", run_name, reason, message);
  Status ev = events.Record(run_name, "", RunEvent{"Warning", reason, message});
  if (!ev.ok()) spdlog::warn("updaterun {}: recording event: {}", run_name, ev.ToString());
  ReconcileResult result = ReconcileResult::Terminal();
  result.status_written = true;
  return result;
}

// Fills NodeView::evictable_pods for the nodes whose decision depends on it.
Status CountPods(ClusterSource& cluster, const PodCountNeeds& needs, std::vector<NodeView>& nodes) {
  if (needs.all) {
    auto counts = cluster.EvictablePodsPerNode();
    if (!counts.ok()) return counts.status();
    for (auto& n : nodes) {
      auto it = counts->find(n.name);
      n.evictable_pods = it == counts->end() ? 0 : it->second;
    }
    return Status::Ok();
  }
  for (auto& n : nodes) {
    for (const auto& wanted : needs.nodes) {
      if (n.name != wanted) continue;
      auto pods = cluster.EvictablePodsOn(n.name);
      if (!pods.ok()) return pods.status();
      n.evictable_pods = pods->count;
      n.unmanaged_pods = std::move(pods->unmanaged);
    }
  }
  return Status::Ok();
}

// Writes a status with an update on the resourceVersion read: the run's first status (or one
// written by a kcau without status.revision). A 409 whose cause touched neither the spec nor
// the status (someone annotated or labelled the run) does not invalidate the decision: it is
// written again on the fresh resourceVersion at once. Any other change is a real conflict
// for the caller.
StatusOr<Json> WriteStatusOnResourceVersion(kube::KubeClient& client, const std::string& run_name,
                                            const crd::UpdateRun& decided_from, Json updated) {
  const auto& runs = kube::resources::UpdateRuns();
  for (int attempt = 0;; ++attempt) {
    auto written = client.UpdateStatus(runs, updated);
    if (written.ok() || written.status().code() != StatusCode::kConflict ||
        attempt == UpdateRunReconciler::kMetadataRewrites) {
      return written;
    }
    auto latest = client.Get(runs, {"", run_name});
    if (!latest.ok()) return written;
    auto fresh = crd::DecodeUpdateRun(*latest);
    if (!fresh.ok() || fresh->generation != decided_from.generation ||
        fresh->status != decided_from.status || fresh->deleting != decided_from.deleting) {
      return written;  // a real change: decide again
    }
    updated["metadata"] = latest->at("metadata");
  }
}

// evanphx/json-patch's words for a failed test: "testing value PATH failed" ("Testing" in
// older versions).
bool IsFailedPatchTest(const Status& s) {
  return s.code() == StatusCode::kInvalidArgument &&
         (s.message().find("testing value") != std::string::npos ||
          s.message().find("Testing value") != std::string::npos);
}

Json PatchOp(const char* op, const char* path, const Json& value) {
  Json o = Json::object();
  o["op"] = Json::string(op);
  o["path"] = Json::string(path);
  o["value"] = value;
  return o;
}

// Writes the decided `status` (its revision one above the one read) as a compare-and-swap on
// what the decision was made from, the spec's generation and status.revision, rather than on
// resourceVersion: labels and annotations, which GitOps tools and people change at any time,
// leave both alone and so cannot starve a run of status writes. A JSON patch's test
// operations do it, on integers only: the API server compares scalars by their JSON bytes,
// and Go and cpprest escape some characters of free text differently. A failed test comes
// back as 422 "testing value PATH failed", a conflict here.
StatusOr<Json> WriteStatus(kube::KubeClient& client, const std::string& run_name,
                           const crd::UpdateRun& decided_from, const Json& read, Json status) {
  status["revision"] = Json::number(decided_from.status.revision + 1);
  if (decided_from.status.revision == 0 || decided_from.generation == 0) {
    Json updated = read;
    updated["status"] = status;
    return WriteStatusOnResourceVersion(client, run_name, decided_from, updated);
  }
  Json patch = Json::array(3);
  patch[0] = PatchOp("test", "/metadata/generation", Json::number(decided_from.generation));
  patch[1] = PatchOp("test", "/status/revision", Json::number(decided_from.status.revision));
  patch[2] = PatchOp("replace", "/status", status);
  auto written = client.Patch(kube::resources::UpdateRuns(), {"", run_name}, kube::PatchType::kJson,
                              patch, /*status_subresource=*/true);
  if (!written.ok() && IsFailedPatchTest(written.status())) {
    return ConflictError("the spec or status of updaterun " + run_name +
                         " changed since it was read: " + written.status().message());
  }
  return written;
}

// "" when what the spec refers to in the controller's namespace `ns` exists (each hook's
// ConfigMap and key; the agents' DaemonSet for forceSelfUpdate), else the field and problem.
StatusOr<std::string> MissingPrerequisite(kube::KubeClient& client, const crd::UpdateRunSpec& spec,
                                          const std::string& ns) {
  if (spec.force_self_update.value_or(false)) {
    auto ds =
        client.Get({"apps", "v1", "daemonsets", "DaemonSet", true}, {ns, agent::kAgentDaemonSet});
    if (!ds.ok() && ds.status().code() != StatusCode::kNotFound) return ds.status();
    if (!ds.ok()) {
      return std::string("spec.forceSelfUpdate: the agents' daemonset \"") +
             agent::kAgentDaemonSet + "\" not found in namespace \"" + ns + "\"";
    }
  }
  for (const auto& [hook, field] : {std::pair{&spec.pre_update_hook, "spec.preUpdateHook"},
                                    std::pair{&spec.post_update_hook, "spec.postUpdateHook"}}) {
    if (!*hook) continue;
    auto map = client.Get({"", "v1", "configmaps", "ConfigMap", true}, {ns, (*hook)->config_map});
    if (!map.ok() && map.status().code() != StatusCode::kNotFound) return map.status();
    if (!map.ok()) {
      return std::string(field) + ".configMap: configmap \"" + (*hook)->config_map +
             "\" not found in namespace \"" + ns + "\"";
    }
    if (!map->has_object_field("data") || !map->at("data").has_string_field((*hook)->key)) {
      return std::string(field) + ".key: configmap \"" + (*hook)->config_map + "\" has no key \"" +
             (*hook)->key + "\"";
    }
  }
  return std::string();
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
  SetCondition(d.status.conditions, crd::kConditionProgressing, "False", "Locked", why,
               run.generation, now);
  if (news) d.events.push_back(RunEvent{"Normal", "Locked", why});
  d.requeue_after = kLockPollInterval;
  return d;
}

const Json& SpecOf(const Json& object) {
  static const Json empty = Json::object();
  return object.has_object_field("spec") ? object.at("spec") : empty;
}

// A started run decides with the spec it applies: the one it started with, plus the edits of
// the fields that pace, bound or stop it, when valid (spec_edits.h). nullopt before the start.
std::optional<SpecEdit> ApplySpecEdits(crd::UpdateRun& run, const Json& object) {
  if (run.status.applied_spec.empty()) return std::nullopt;
  const Json applied = Json::parse(run.status.applied_spec);
  SpecEdit edit = ReconcileSpecEdit(SpecOf(object), applied);
  if (!edit.applied.empty()) {
    std::vector<std::string> names;
    for (const auto& r : run.status.nodes) names.push_back(r.name);
    auto decoded = crd::DecodeUpdateRunSpec(edit.effective);
    std::vector<crd::FieldError> errors;
    if (decoded.ok()) {
      errors = crd::ValidateUpdateRunSpec(*decoded, names);
    } else {
      for (const auto& c : edit.applied) errors.push_back({c.field, decoded.status().message()});
    }
    RefuseInvalidChanges(edit, applied, errors);
  }
  auto effective = crd::DecodeUpdateRunSpec(edit.effective);
  if (effective.ok()) run.spec = *effective;
  return edit;
}

// Records the applied spec in the decided status when the run starts, keeps it current as
// live edits are applied, and says what an edit changed: condition SpecApplied (once a run
// was edited after its start) and, once per edit, Events.
void RecordSpecEdit(const crd::UpdateRun& run, const Json& object,
                    const std::optional<SpecEdit>& edit, RolloutDecision& decision, TimePoint now) {
  auto& status = decision.status;
  if (!edit) {
    if (!status.nodes.empty()) status.applied_spec = SpecOf(object).serialize();  // the start
    return;
  }
  status.applied_spec = edit->effective.serialize();
  const bool new_edit = run.generation != run.status.observed_generation;
  const bool edited = new_edit || FindCondition(status.conditions, crd::kConditionSpecApplied);
  if (!edited) return;
  if (edit->ignored.empty()) {
    SetCondition(status.conditions, crd::kConditionSpecApplied, "True", "AsWritten",
                 "the run applies its spec as written", run.generation, now);
  } else {
    SetCondition(status.conditions, crd::kConditionSpecApplied, "False", "ChangesIgnored",
                 "not applied: " + DescribeChanges(edit->ignored, true) +
                     "; a running run keeps these as it started (status.appliedSpec): stop it "
                     "and start a new run to use them",
                 run.generation, now);
  }
  if (!new_edit) return;
  if (!edit->applied.empty()) {
    decision.events.push_back(
        RunEvent{"Normal", "SpecChangeApplied",
                 "applied from now on: " + DescribeChanges(edit->applied, false)});
  }
  if (!edit->ignored.empty()) {
    decision.events.push_back(
        RunEvent{"Warning", "SpecChangeIgnored",
                 "not applied to the running run: " + DescribeChanges(edit->ignored, true)});
  }
}

}  // namespace

UpdateRunReconciler::UpdateRunReconciler(kube::KubeClient& client, ClusterSource& cluster,
                                         const Clock& clock, metrics::KcauMetrics* metrics,
                                         const agent::RequestSigningKey& signing_key,
                                         const std::string& run_lock_namespace,
                                         HookRunnerPolicy hook_policy)
    : client_(client),
      cluster_(cluster),
      clock_(clock),
      metrics_(metrics),
      signing_key_(signing_key),
      events_(client, clock),
      elapsed_(clock),
      locks_(client, run_lock_namespace, elapsed_),
      hook_policy_(std::move(hook_policy)) {}

ReconcileResult UpdateRunReconciler::Reconcile(const std::string& run_name) {
  ReconcileResult result;
  for (int attempt = 1; attempt <= kConflictAttempts; ++attempt) {
    bool conflict = false;
    result = ReconcileOnce(run_name, conflict);
    if (!conflict) return result;
    if (V(4)) {
      spdlog::info("updaterun {}: status write conflicted (attempt {}): re-reading", run_name,
                   attempt);
    }
  }
  return result;  // still conflicting: the queue's per-key backoff takes over
}

ReconcileResult UpdateRunReconciler::ReconcileOnce(const std::string& run_name, bool& conflict) {
  const auto& runs = kube::resources::UpdateRuns();
  auto object = client_.Get(runs, {"", run_name});
  if (!object.ok()) {
    if (object.status().code() == StatusCode::kNotFound) {
      ForgetRunMetrics(metrics_, run_name);
      return ReconcileResult::Done();  // deleted: nothing left to do
    }
    return ReconcileResult::Error("reading updaterun " + run_name + ": " +
                                  object.status().ToString());
  }
  const TimePoint now = NowSeconds(clock_);

  auto run = crd::DecodeUpdateRun(*object);
  if (!run.ok()) {
    return EndInvalidRun(client_, events_, run_name, *object, "Invalid", run.status().message(),
                         now, conflict);
  }

  const bool ended =
      run->status.phase == crd::RunPhase::kSucceeded || run->status.phase == crd::RunPhase::kFailed;
  const std::optional<SpecEdit> edit = ended ? std::nullopt : ApplySpecEdits(*run, *object);
  Json current = *object;
  if (ended && run->status.observed_generation == run->generation) {
    // An ended run is a record: no need to read the cluster for it (node events wake every
    // run, and most runs in a long-lived cluster are finished ones). Its finalizer goes, if
    // an earlier pass could not remove it.
    if (HasRunFinalizer(current)) {
      auto released = SetRunFinalizer(client_, current, false);
      if (!released.ok()) {
        conflict = released.status().code() == StatusCode::kConflict;
        return ReconcileResult::Error("updaterun " + run_name +
                                      ": removing the finalizer: " + released.status().ToString());
      }
    }
    return ReconcileResult::Terminal();
  }
  if (run->deleting && !HasRunFinalizer(current)) {
    return ReconcileResult::Done();  // going, and never started under this controller
  }
  if (!run->deleting && !ended && !HasRunFinalizer(current) && !ReadOnly(*run)) {
    // Before any node is touched: deleting the run from now on cancels it first.
    auto held = SetRunFinalizer(client_, current, true);
    if (!held.ok()) {
      conflict = held.status().code() == StatusCode::kConflict;
      return ReconcileResult::Error("updaterun " + run_name +
                                    ": adding the finalizer: " + held.status().ToString());
    }
    current = *held;
  }

  auto nodes = cluster_.Nodes();
  if (!nodes.ok()) return ReconcileResult::Error("reading nodes: " + nodes.status().ToString());
  if (Status counted = CountPods(cluster_, PodCountsNeeded(*run), *nodes); !counted.ok()) {
    return ReconcileResult::Error("counting pods: " + counted.ToString());
  }

  // Hooks run as the controller's policy allows (--hook-* flags), never simply as the run
  // asks: a run asking for more is refused before it starts, and the hooks of one naming no
  // one run as the policy's defaults. A policy narrowed by a restart while a run is under
  // way gives its remaining hooks the defaults rather than strand its nodes cordoned.
  const ResolvedHookRunner runner = ResolveHookRunner(run->spec.hook_runner, hook_policy_);
  run->spec.hook_runner = runner.runner;
  if (run->status.plan.empty() && !ReadOnly(*run) && !run->deleting) {
    if (!runner.refusals.empty()) {
      return EndInvalidRun(client_, events_, run_name, current, "HookRunnerNotAllowed",
                           crd::FormatFieldErrors(runner.refusals), now, conflict);
    }
    // Hooks' ConfigMaps are checked before the run starts: a typo must not surface as a
    // failed node half-way through.
    auto missing = MissingPrerequisite(client_, run->spec, locks_.lease_namespace());
    if (!missing.ok())
      return ReconcileResult::Error("reading hook ConfigMaps: " + missing.status().ToString());
    if (!missing->empty()) {
      return EndInvalidRun(client_, events_, run_name, current, "Invalid", *missing, now, conflict);
    }
  } else if (!runner.refusals.empty() &&
             (run->spec.pre_update_hook || run->spec.post_update_hook)) {
    spdlog::warn("updaterun {}: hooks run as the defaults of --hook-*: {}", run_name,
                 crd::FormatFieldErrors(runner.refusals));
  }
  std::optional<RolloutDecision> locked_out;
  if (run->status.plan.empty() && !ReadOnly(*run) && !run->deleting) {
    auto lock = locks_.Check(*run, *nodes, now);
    if (!lock.ok()) {
      return ReconcileResult::Error("updaterun " + run_name +
                                    ": run lock: " + lock.status().ToString());
    }
    if (lock->verdict == RunLockVerdict::kWait) locked_out = WaitForLock(*run, lock->message, now);
  }
  const ElapsedFn elapsed = [this](TimePoint then) { return elapsed_.Since(then); };
  RolloutDecision decision =
      locked_out ? *locked_out : PlanRollout(*run, *nodes, now, elapsed, KCAU_VERSION);
  if (!locked_out && !ended) RecordSpecEdit(*run, *object, edit, decision, now);
  if (!locked_out && !decision.terminal && !decision.status.plan.empty() && !ReadOnly(*run)) {
    // Active (or starting): the run must hold its target's lock before it touches a node.
    auto lock = locks_.Acquire(*run, *nodes, now);
    if (!lock.ok()) {
      return ReconcileResult::Error("updaterun " + run_name +
                                    ": run lock: " + lock.status().ToString());
    }
    if (lock->verdict == RunLockVerdict::kWait && run->status.plan.empty()) {
      decision = WaitForLock(*run, lock->message, now);
    } else if (lock->verdict == RunLockVerdict::kWait) {
      // Already running when another run took the lock over (forceRecovery): stopping
      // half-way would be worse; finish, and say so.
      spdlog::warn("updaterun {}: run lock taken by another run: {}", run_name, lock->message);
    } else if (lock->verdict == RunLockVerdict::kRecover) {
      decision.events.push_back(RunEvent{"Warning", "LockRecovered",
                                         "forceRecovery: took over the run lock " +
                                             locks_.lease_namespace() + "/" +
                                             RunLockName(run->spec) + ": " + lock->message});
    }
  }

  bool status_written = false;
  if (decision.status != run->status) {
    auto written =
        WriteStatus(client_, run_name, *run, current, crd::EncodeUpdateRunStatus(decision.status));
    if (!written.ok()) {
      // Nothing was acted on: the caller re-reads and re-decides on a 409.
      conflict = written.status().code() == StatusCode::kConflict;
      return ReconcileResult::Error("writing status of " + run_name + ": " +
                                    written.status().ToString());
    }
    status_written = true;
    current = *written;
    // The timestamps just written are pinned to the monotonic clock now, before a step of
    // the wall clock could change how old they look.
    if (decision.status.start_time) elapsed_.Pin(*decision.status.start_time);
    for (const auto& r : decision.status.nodes) {
      if (r.phase_time) elapsed_.Pin(*r.phase_time);
    }
    if (V(2)) {
      spdlog::info("updaterun {}: status written: phase {}, {} succeeded, {} failed", run_name,
                   crd::RunPhaseName(decision.status.phase), decision.status.nodes_succeeded,
                   decision.status.nodes_failed);
    }
  }

  ActionOutcome outcome;
  for (const auto& action : decision.actions) {
    Status s = ApplyNodeAction(client_, action, run->spec, locks_.lease_namespace(), signing_key_,
                               outcome, own_pod_);
    if (!s.ok()) {
      return ReconcileResult::Error("updaterun " + run_name + ", node " + action.node + ": " +
                                    s.ToString());
    }
  }
  for (const auto& event : decision.events) {
    spdlog::info("updaterun {}: {}: {}", run_name, event.reason, event.message);
    Status s = events_.Record(run_name, run->uid, event);
    if (!s.ok()) spdlog::warn("updaterun {}: recording event: {}", run_name, s.ToString());
  }
  RecordRunMetrics(metrics_, run_name, run->status, decision, outcome);
  if (outcome.own_pod_left && hand_over_) {
    // This controller's own pod is on a node being drained. Evicting it while it leads would
    // stop the run's controller mid-drain; instead the lead goes to another replica first,
    // which then evicts this pod like any other.
    spdlog::warn(
        "updaterun {}: this controller's pod {}/{} is on a node being drained: handing "
        "the lead over before it is evicted",
        run_name, own_pod_->ns, own_pod_->name);
    hand_over_();
  }
  if (decision.terminal && !run->status.plan.empty()) {
    // Ended: free the lock unless Locked. (A lock left by a failed release holds nothing:
    // DecideRunLock lets the next run take a lock whose holder ended cleanly.)
    if (Status released = locks_.Release(*run, decision.status, *nodes); !released.ok()) {
      return ReconcileResult::Error("updaterun " + run_name +
                                    ": releasing the run lock: " + released.ToString());
    }
  }

  if (decision.terminal && HasRunFinalizer(current)) {
    // Ended: nothing is left to clean up, so a delete may now take the run at once. If this
    // fails, the ended-run pass above removes it later.
    auto released = SetRunFinalizer(client_, current, false);
    if (!released.ok() && released.status().code() != StatusCode::kNotFound) {
      return ReconcileResult::Error("updaterun " + run_name +
                                    ": removing the finalizer: " + released.status().ToString());
    }
  }

  ReconcileResult result = ReconcileResult::Done();
  if (decision.terminal) {
    result = ReconcileResult::Terminal();
  } else if (decision.requeue_after) {
    result = ReconcileResult::After(*decision.requeue_after);
  }
  result.status_written = status_written;
  if (V(4)) {
    spdlog::info("updaterun {}: {} action(s), {} event(s), {}", run_name, decision.actions.size(),
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
  return result;
}

}  // namespace kcau::reconcilers
