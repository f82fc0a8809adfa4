#include "controller/run_metrics.h"

#include <algorithm>
#include <chrono>

#include "controller/node_transitions.h"
#include "crd/names.h"
#include "crd/updaterun_codec.h"
#include "crd/validation.h"
#include "kube/json.h"
#include "metrics/kcau_metrics.h"

namespace kcau::controller {

namespace {

double EpochSeconds(TimePoint t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// The spec the run applies (recorded in its status when it starts); nullopt before.
std::optional<crd::UpdateRunSpec> AppliedSpec(const crd::UpdateRunStatus& status) {
  if (status.applied_spec.empty()) return std::nullopt;
  try {
    auto spec = crd::DecodeUpdateRunSpec(kube::Json::parse(status.applied_spec));
    if (spec.ok()) return *spec;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

bool WarnAfterPassed(const crd::UpdateRunStatus& status,
                     const std::optional<crd::UpdateRunSpec>& spec) {
  for (const auto& c : status.conditions) {
    if (c.type == crd::kConditionWarning && c.reason == "WarnAfterExceeded") return true;
  }
  // The Warning condition may since say something else (nodes failed): an ended run that
  // took longer than warnAfter still passed it.
  return spec && spec->warn_after && status.start_time && status.completion_time &&
         *status.completion_time - *status.start_time >= *spec->warn_after;
}

void SetOrRemove(prometheus::Family<prometheus::Gauge>& family, const prometheus::Labels& labels,
                 const std::optional<double>& value) {
  if (value) {
    family.Add(labels).Set(*value);
  } else if (family.Has(labels)) {
    family.Remove(&family.Add(labels));
  }
}

}  // namespace

void RunMetrics::RunReconciled(const std::string& run, const crd::UpdateRunStatus& before,
                               const reconcilers::RolloutDecision& decision,
                               const reconcilers::ActionOutcome& acted) {
  SetRunGauges(run, decision.status);
  // Only a pass that changed the status has transitions; it wrote them, so the next pass
  // reads a new revision.
  if (before != decision.status && FirstReport(run, before)) CountTransitions(before, decision);
  // What acting did happened in this very pass, changed status or not (a drain's passes).
  metrics_.evictions_total.Add({{"result", "evicted"}}).Increment(acted.pods_evicted);
  metrics_.evictions_total.Add({{"result", "blocked"}}).Increment(acted.evictions_blocked);
  metrics_.evictions_total.Add({{"result", "deleted"}}).Increment(acted.pods_deleted);
  metrics_.evictions_total.Add({{"result", "failback"}}).Increment(acted.pods_failed_back);
}

bool RunMetrics::FirstReport(const std::string& run, const crd::UpdateRunStatus& before) {
  const CountedFrom from{before.revision, before.start_time};
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = counted_.emplace(run, from);
  if (inserted) return true;
  if (it->second == from) return false;
  it->second = from;
  return true;
}

void RunMetrics::SetRunGauges(const std::string& run, const crd::UpdateRunStatus& status) {
  std::map<crd::NodePhase, int> by_phase;
  int retries = 0;
  for (const auto& r : status.nodes) {
    ++by_phase[r.phase];
    retries += std::max(0, r.attempts - 1);
  }
  for (const auto& [phase, name] : crd::kNodePhaseNames) {
    metrics_.updaterun_nodes.Add({{"updaterun", run}, {"phase", name}}).Set(by_phase[phase]);
  }
  const prometheus::Labels labels = {{"updaterun", run}};
  const auto spec = AppliedSpec(status);
  metrics_.updaterun_failed_nodes.Add(labels).Set(by_phase[crd::NodePhase::kFailed]);
  SetOrRemove(metrics_.updaterun_max_failed_nodes, labels,
              spec ? std::optional<double>(spec->max_failed_nodes.value_or(
                         crd::DefaultMaxFailedNodes(status.nodes_total)))
                   : std::nullopt);
  metrics_.updaterun_retries.Add(labels).Set(retries);
  SetOrRemove(
      metrics_.updaterun_start_time_seconds, labels,
      status.start_time ? std::optional<double>(EpochSeconds(*status.start_time)) : std::nullopt);
  SetOrRemove(metrics_.updaterun_completion_time_seconds, labels,
              status.completion_time ? std::optional<double>(EpochSeconds(*status.completion_time))
                                     : std::nullopt);
  metrics_.updaterun_warn_after_passed.Add(labels).Set(WarnAfterPassed(status, spec) ? 1 : 0);
}

void RunMetrics::CountTransitions(const crd::UpdateRunStatus& before,
                                  const reconcilers::RolloutDecision& decision) {
  const NodeTransitions t = DiffNodes(before, decision.status, decision.events);
  metrics_.node_updates_total.Add({{"result", "succeeded"}}).Increment(t.succeeded);
  metrics_.node_updates_total.Add({{"result", "failed"}}).Increment(t.failed);
  metrics_.node_updates_total.Add({{"result", "skipped"}}).Increment(t.skipped);
  metrics_.node_reboots_total.Increment(t.reboots);
  for (double s : t.drain_seconds) metrics_.node_drain_duration_seconds.Observe(s);
  for (double s : t.install_seconds) metrics_.node_install_duration_seconds.Observe(s);
  for (double s : t.reboot_seconds) metrics_.node_reboot_duration_seconds.Observe(s);
  for (const auto& [result, s] : t.update_seconds) {
    metrics_.node_update_duration_seconds
        .Add({{"result", result}}, metrics::KcauMetrics::NodeDurationBuckets())
        .Observe(s);
  }
  metrics_.agent_answers_total.Add({{"result", "installed"}}).Increment(t.answers_installed);
  metrics_.agent_answers_total.Add({{"result", "scanned"}}).Increment(t.answers_scanned);
  metrics_.agent_answers_total.Add({{"result", "failed"}}).Increment(t.answers_failed);
  metrics_.agent_timeouts_total.Increment(t.agent_timeouts);
}

void RunMetrics::RunGone(const std::string& run) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    counted_.erase(run);
  }
  for (const auto& [phase, name] : crd::kNodePhaseNames) {
    SetOrRemove(metrics_.updaterun_nodes, {{"updaterun", run}, {"phase", name}}, std::nullopt);
  }
  const prometheus::Labels labels = {{"updaterun", run}};
  for (auto* family :
       {&metrics_.updaterun_failed_nodes, &metrics_.updaterun_max_failed_nodes,
        &metrics_.updaterun_retries, &metrics_.updaterun_start_time_seconds,
        &metrics_.updaterun_completion_time_seconds, &metrics_.updaterun_warn_after_passed}) {
    SetOrRemove(*family, labels, std::nullopt);
  }
}

}  // namespace kcau::controller
