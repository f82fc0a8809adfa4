#include "reconcilers/updaterun_reconciler.h"

#include <spdlog/spdlog.h>

#include "crd/updaterun_codec.h"
#include "kube/kube_client.h"
#include "reconcilers/cluster_reader.h"
#include "reconcilers/conditions.h"
#include "reconcilers/node_actions.h"
#include "reconcilers/rollout_planner.h"
#include "reconcilers/run_metrics.h"

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

}  // namespace

UpdateRunReconciler::UpdateRunReconciler(kube::KubeClient& client, const Clock& clock,
                                         metrics::KcauMetrics* metrics)
    : client_(client), clock_(clock), metrics_(metrics), events_(client, clock) {}

ReconcileResult UpdateRunReconciler::Reconcile(const std::string& run_name) {
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
    // The API server's schema should have refused this; a run we cannot read is ended with
    // the reason, never retried in a hot loop (sample-controller "absorb the error").
    crd::UpdateRunStatus failed;
    failed.phase = crd::RunPhase::kFailed;
    const int64_t generation = GenerationOf(*object);
    failed.observed_generation = generation;
    const std::string message = run.status().message();
    SetCondition(failed.conditions, crd::kConditionFailed, "True", "Invalid", message, generation,
                 now);
    SetCondition(failed.conditions, crd::kConditionProgressing, "False", "Invalid", message,
                 generation, now);
    SetCondition(failed.conditions, crd::kConditionSucceeded, "False", "Invalid", message,
                 generation, now);
    const Json& old_status = object->has_object_field("status") ? object->at("status") : Json();
    const bool same =
        old_status.is_object() && old_status.has_integer_field("observedGeneration") &&
        old_status.at("observedGeneration").as_number().to_int64() == generation &&
        old_status.has_string_field("phase") && old_status.at("phase").as_string() == "Failed";
    if (!same) {
      Json updated = *object;
      updated["status"] = crd::EncodeUpdateRunStatus(failed);
      auto written = client_.UpdateStatus(runs, updated);
      if (!written.ok()) {
        return ReconcileResult::Error("writing status of " + run_name + ": " +
                                      written.status().ToString());
      }
      spdlog::warn("updaterun {}: invalid: {}", run_name, message);
      Status ev = events_.Record(run_name, "", RunEvent{"Warning", "Invalid", message});
      if (!ev.ok()) spdlog::warn("updaterun {}: recording event: {}", run_name, ev.ToString());
    }
    return ReconcileResult::Terminal();
  }

  const bool ended =
      run->status.phase == crd::RunPhase::kSucceeded || run->status.phase == crd::RunPhase::kFailed;
  if (ended && run->status.observed_generation == run->generation) {
    // An ended run is a record: no need to read the cluster for it (node events wake every
    // run, and most runs in a long-lived cluster are finished ones).
    return ReconcileResult::Terminal();
  }

  auto nodes = ReadNodes(client_);
  if (!nodes.ok()) {
    return ReconcileResult::Error("listing nodes: " + nodes.status().ToString());
  }
  const PodCountNeeds needs = PodCountsNeeded(*run);
  if (needs.all) {
    auto counts = CountEvictablePodsPerNode(client_);
    if (!counts.ok()) return ReconcileResult::Error("listing pods: " + counts.status().ToString());
    for (auto& n : *nodes) {
      auto it = counts->find(n.name);
      n.evictable_pods = it == counts->end() ? 0 : it->second;
    }
  } else {
    for (auto& n : *nodes) {
      for (const auto& wanted : needs.nodes) {
        if (n.name != wanted) continue;
        auto count = CountEvictablePods(client_, n.name);
        if (!count.ok()) {
          return ReconcileResult::Error("listing pods on " + n.name + ": " +
                                        count.status().ToString());
        }
        n.evictable_pods = *count;
      }
    }
  }

  RolloutDecision decision = PlanRollout(*run, *nodes, now);

  if (decision.status != run->status) {
    Json updated = *object;
    updated["status"] = crd::EncodeUpdateRunStatus(decision.status);
    auto written = client_.UpdateStatus(runs, updated);
    if (!written.ok()) {
      // On 409 the next pass re-reads and re-decides; nothing was acted on.
      return ReconcileResult::Error("writing status of " + run_name + ": " +
                                    written.status().ToString());
    }
  }

  ActionOutcome outcome;
  for (const auto& action : decision.actions) {
    Status s = ApplyNodeAction(client_, action, run->spec.plugins, outcome);
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

  if (decision.terminal) return ReconcileResult::Terminal();
  if (decision.requeue_after) return ReconcileResult::After(*decision.requeue_after);
  return ReconcileResult::Done();
}

}  // namespace kcau::reconcilers
