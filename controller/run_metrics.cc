#include "controller/run_metrics.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <vector>

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

// The phases in which a node is cordoned by its run: from the cordon until the uncordon.
bool Cordoned(crd::NodePhase phase) {
  using crd::NodePhase;
  return phase == NodePhase::kCordoned || phase == NodePhase::kDraining ||
         phase == NodePhase::kUpdating || phase == NodePhase::kRebooting ||
         phase == NodePhase::kVerifying || phase == NodePhase::kUncordoned;
}

// When the node the run has kept cordoned longest was taken; nullopt when none is cordoned.
std::optional<double> OldestCordonedStart(const crd::UpdateRunStatus& status) {
  std::optional<TimePoint> oldest;
  for (const auto& r : status.nodes) {
    if (!Cordoned(r.phase) || !r.start_time) continue;
    if (!oldest || *r.start_time < *oldest) oldest = r.start_time;
  }
  if (!oldest) return std::nullopt;
  return EpochSeconds(*oldest);
}

// Sets a gauge per reason to `counts`' value, 0 for a reason it lacks: every `known` reason,
// and any other the family already has (it was counted before and has since lifted).
void SetByReason(prometheus::Family<prometheus::Gauge>& family,
                 const std::vector<std::string>& known, const std::map<std::string, int>& counts,
                 std::set<std::string>& seen) {
  seen.insert(known.begin(), known.end());
  for (const auto& [reason, n] : counts) seen.insert(reason);
  for (const auto& reason : seen) {
    auto it = counts.find(reason);
    family.Add({{"reason", reason}}).Set(it == counts.end() ? 0 : it->second);
  }
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
  SetBlocks(run, &decision.status);
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
  SetOrRemove(metrics_.updaterun_oldest_cordoned_node_start_time_seconds, labels,
              OldestCordonedStart(status));
}

void RunMetrics::SetBlocks(const std::string& run, const crd::UpdateRunStatus* status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (status == nullptr) {
    blocks_.erase(run);
  } else {
    Blocks& b = blocks_[run];
    b.nodes.clear();
    for (const auto& r : status->nodes) {
      if (r.blocked) ++b.nodes[r.blocked->reason];
    }
    b.run = status->blocked ? status->blocked->reason : "";
  }
  std::map<std::string, int> nodes, runs;
  for (const auto& [name, b] : blocks_) {
    for (const auto& [reason, n] : b.nodes) nodes[reason] += n;
    if (!b.run.empty()) ++runs[b.run];
  }
  SetByReason(metrics_.blocked_nodes, metrics::KcauMetrics::NodeBlockReasons(), nodes,
              node_reasons_);
  SetByReason(metrics_.blocked_runs, metrics::KcauMetrics::RunBlockReasons(), runs, run_reasons_);
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
  for (const auto& [reason, s] : t.blocked_seconds) {
    metrics_.node_blocked_duration_seconds
        .Add({{"reason", reason}}, metrics::KcauMetrics::NodeDurationBuckets())
        .Observe(s);
  }
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
  SetBlocks(run, nullptr);
  for (const auto& [phase, name] : crd::kNodePhaseNames) {
    SetOrRemove(metrics_.updaterun_nodes, {{"updaterun", run}, {"phase", name}}, std::nullopt);
  }
  const prometheus::Labels labels = {{"updaterun", run}};
  for (auto* family :
       {&metrics_.updaterun_failed_nodes, &metrics_.updaterun_max_failed_nodes,
        &metrics_.updaterun_retries, &metrics_.updaterun_start_time_seconds,
        &metrics_.updaterun_completion_time_seconds, &metrics_.updaterun_warn_after_passed,
        &metrics_.updaterun_oldest_cordoned_node_start_time_seconds}) {
    SetOrRemove(*family, labels, std::nullopt);
  }
}

}  // namespace kcau::controller
