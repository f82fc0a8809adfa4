#include "metrics/kcau_metrics.h"

#include "metrics/build_info.h"

namespace kcau::metrics {

namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::Histogram;

// controller-runtime's reconcile_time_seconds buckets: milliseconds (a pass of API round
// trips) to a minute.
const Histogram::BucketBoundaries& ReconcileBuckets() {
  static const Histogram::BucketBoundaries b = {
      0.005, 0.01, 0.025, 0.05, 0.1,  0.15, 0.2,  0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6,
      0.7,   0.8,  0.9,   1.0,  1.25, 1.5,  1.75, 2.0,  2.5, 3.0,  3.5, 4.0,  4.5, 5,
      6,     7,    8,     9,    10,   15,   20,   25,   30,  40,   50,  60};
  return b;
}

// client-go's workqueue buckets: 10 ns to 10 s, by powers of ten.
const Histogram::BucketBoundaries& QueueBuckets() {
  static const Histogram::BucketBoundaries b = {1e-8, 1e-7, 1e-6, 1e-5, 1e-4,
                                                1e-3, 1e-2, 1e-1, 1,    10};
  return b;
}

prometheus::Family<prometheus::Counter>& Counter(prometheus::Registry& r, const char* name,
                                                 const char* help) {
  return BuildCounter().Name(name).Help(help).Register(r);
}
prometheus::Family<prometheus::Gauge>& Gauge(prometheus::Registry& r, const char* name,
                                             const char* help) {
  return BuildGauge().Name(name).Help(help).Register(r);
}
prometheus::Family<prometheus::Histogram>& HistogramFamily(prometheus::Registry& r,
                                                           const char* name, const char* help) {
  return BuildHistogram().Name(name).Help(help).Register(r);
}

}  // namespace

const Histogram::BucketBoundaries& KcauMetrics::NodeDurationBuckets() {
  // 1 s .. 4 h: a drain of an empty node, an install of minutes, a slow firmware reboot.
  static const Histogram::BucketBoundaries b = {1,   5,   15,   30,   60,   120,  300,
                                                600, 900, 1800, 3600, 7200, 14400};
  return b;
}

const std::vector<std::string>& KcauMetrics::RunPhases() {
  static const std::vector<std::string> phases = {"Pending", "Running", "Succeeded", "Failed"};
  return phases;
}

const std::vector<std::string>& KcauMetrics::NodeBlockReasons() {
  static const std::vector<std::string> reasons = {"PodDisruptionBudget", "UnmanagedPods"};
  return reasons;
}

const std::vector<std::string>& KcauMetrics::RunBlockReasons() {
  static const std::vector<std::string> reasons = {"Quorum", "RunLock", "Locked", "AgentsUpdating"};
  return reasons;
}

KcauMetrics::KcauMetrics(prometheus::Registry& r, const std::string& version,
                         const std::string& controller, int max_concurrent)
    : reconcile_total(Counter(r, "controller_runtime_reconcile_total",
                              "Total number of reconciliations per controller.")),
      reconcile_errors_total(Counter(r, "controller_runtime_reconcile_errors_total",
                                     "Total number of reconciliation errors per controller.")),
      reconcile_time_seconds(HistogramFamily(r, "controller_runtime_reconcile_time_seconds",
                                             "Length of time per reconciliation per controller.")),
      max_concurrent_reconciles(Gauge(r, "controller_runtime_max_concurrent_reconciles",
                                      "Maximum number of concurrent reconciles per controller.")),
      active_workers(Gauge(r, "controller_runtime_active_workers",
                           "Number of currently used workers per controller.")),
      workqueue_depth(Gauge(r, "workqueue_depth", "Current depth of workqueue.")),
      workqueue_adds_total(
          Counter(r, "workqueue_adds_total", "Total number of adds handled by workqueue.")),
      workqueue_retries_total(
          Counter(r, "workqueue_retries_total", "Total number of retries handled by workqueue.")),
      workqueue_queue_duration_seconds(HistogramFamily(
          r, "workqueue_queue_duration_seconds",
          "How long in seconds an item stays in workqueue before being requested.")),
      workqueue_work_duration_seconds(
          HistogramFamily(r, "workqueue_work_duration_seconds",
                          "How long in seconds processing an item from workqueue takes.")),
      leader(Gauge(r, "leader_election_master_status",
                   "Gauge of if the reporting system is master of the relevant lease, 0 "
                   "indicates backup, 1 indicates master. 'name' is the string used to "
                   "identify the lease.")),
      updateruns(Gauge(r, "kcau_updateruns", "UpdateRuns in the cluster by phase.")),
      updaterun_nodes(Gauge(r, "kcau_updaterun_nodes", "Nodes of each UpdateRun by node phase.")),
      updaterun_failed_nodes(
          Gauge(r, "kcau_updaterun_failed_nodes", "Nodes of each UpdateRun that failed.")),
      updaterun_max_failed_nodes(Gauge(r, "kcau_updaterun_max_failed_nodes",
                                       "Failed nodes each UpdateRun tolerates (maxFailedNodes); "
                                       "one more stops the run.")),
      updaterun_retries(Gauge(r, "kcau_updaterun_retries",
                              "Update attempts beyond each node's first, summed over the "
                              "nodes of each UpdateRun.")),
      updaterun_start_time_seconds(Gauge(r, "kcau_updaterun_start_time_seconds",
                                         "When each UpdateRun started, in seconds since the "
                                         "Unix epoch; absent before it starts.")),
      updaterun_completion_time_seconds(Gauge(r, "kcau_updaterun_completion_time_seconds",
                                              "When each UpdateRun ended, in seconds since the "
                                              "Unix epoch; absent while it runs.")),
      updaterun_warn_after_passed(Gauge(r, "kcau_updaterun_warn_after_passed",
                                        "1 once an UpdateRun has taken longer than its "
                                        "warnAfter, else 0.")),
      updaterun_oldest_cordoned_node_start_time_seconds(
          Gauge(r, "kcau_updaterun_oldest_cordoned_node_start_time_seconds",
                "When the node each UpdateRun has kept cordoned longest was taken, in seconds "
                "since the Unix epoch; absent while the run has no node cordoned.")),
      blocked_nodes(Gauge(r, "kcau_blocked_nodes",
                          "Nodes whose update cannot go on (status.nodes[].blocked), summed "
                          "over UpdateRuns, by reason.")),
      blocked_runs(Gauge(r, "kcau_blocked_runs",
                         "UpdateRuns that cannot take their next node (status.blocked), by "
                         "reason.")),
      node_blocked_duration_seconds(
          HistogramFamily(r, "kcau_node_blocked_duration_seconds",
                          "How long each node's block lasted, by reason; observed when it "
                          "ends.")),
      node_updates_total(
          Counter(r, "kcau_node_updates_total", "Nodes that finished in an UpdateRun, by result.")),
      node_reboots_total(
          Counter(r, "kcau_node_reboots_total", "Node reboots observed during UpdateRuns.")
              .Add({})),
      evictions_total(Counter(r, "kcau_evictions_total",
                              "Pod evictions while draining nodes, by result: evicted; "
                              "blocked by a PodDisruptionBudget; deleted by drain Force; "
                              "failback, moved back by failbackMode Policy.")),
      agent_answers_total(Counter(r, "kcau_agent_answers_total",
                                  "Node agent requests answered, by result: installed, "
                                  "scanned, failed.")),
      agent_timeouts_total(Counter(r, "kcau_agent_timeouts_total",
                                   "Node agent requests that got no answer within "
                                   "agentTimeoutMinutes.")
                               .Add({})),
      node_drain_duration_seconds(
          HistogramFamily(r, "kcau_node_drain_duration_seconds",
                          "How long nodes took to drain (phase Draining), PodDisruptionBudget "
                          "waits included.")
              .Add({}, NodeDurationBuckets())),
      node_install_duration_seconds(
          HistogramFamily(r, "kcau_node_install_duration_seconds",
                          "How long each update attempt's install took (phase Updating), until "
                          "the agent answered or timed out.")
              .Add({}, NodeDurationBuckets())),
      node_reboot_duration_seconds(
          HistogramFamily(r, "kcau_node_reboot_duration_seconds",
                          "How long nodes took to come back from a reboot (phase Rebooting).")
              .Add({}, NodeDurationBuckets())),
      node_update_duration_seconds(
          HistogramFamily(r, "kcau_node_update_duration_seconds",
                          "How long each node took in an UpdateRun from its start to its end, "
                          "by result.")) {
  AddBuildInfo(r, version);
  for (const auto& phase : RunPhases()) updateruns.Add({{"phase", phase}});
  for (const char* result : kReconcileResults) {
    reconcile_total.Add({{"controller", controller}, {"result", result}});
  }
  reconcile_errors_total.Add({{"controller", controller}});
  reconcile_time_seconds.Add({{"controller", controller}}, ReconcileBuckets());
  max_concurrent_reconciles.Add({{"controller", controller}}).Set(max_concurrent);
  active_workers.Add({{"controller", controller}});
  for (const char* result : {"succeeded", "failed", "skipped"}) {
    node_updates_total.Add({{"result", result}});
  }
  for (const char* result : {"succeeded", "failed"}) {
    node_update_duration_seconds.Add({{"result", result}}, NodeDurationBuckets());
  }
  for (const char* result : {"evicted", "blocked", "deleted", "failback"}) {
    evictions_total.Add({{"result", result}});
  }
  for (const char* result : {"installed", "scanned", "failed"}) {
    agent_answers_total.Add({{"result", result}});
  }
  for (const auto& reason : NodeBlockReasons()) {
    blocked_nodes.Add({{"reason", reason}});
    node_blocked_duration_seconds.Add({{"reason", reason}}, NodeDurationBuckets());
  }
  for (const auto& reason : RunBlockReasons()) blocked_runs.Add({{"reason", reason}});
}

void KcauMetrics::CountReconcile(const std::string& controller, const std::string& result) {
  reconcile_total.Add({{"controller", controller}, {"result", result}}).Increment();
  if (result == "error") reconcile_errors_total.Add({{"controller", controller}}).Increment();
}

void KcauMetrics::ObserveReconcileTime(const std::string& controller, double seconds) {
  reconcile_time_seconds.Add({{"controller", controller}}, ReconcileBuckets()).Observe(seconds);
}

void KcauMetrics::SetRunsByPhase(const std::map<std::string, int>& counts) {
  for (const auto& phase : RunPhases()) {
    auto it = counts.find(phase);
    updateruns.Add({{"phase", phase}}).Set(it == counts.end() ? 0 : it->second);
  }
}

WorkQueueMetrics KcauMetrics::Queue(const std::string& name) {
  const prometheus::Labels labels = {{"name", name}};
  return {workqueue_depth.Add(labels), workqueue_adds_total.Add(labels),
          workqueue_retries_total.Add(labels),
          workqueue_queue_duration_seconds.Add(labels, QueueBuckets()),
          workqueue_work_duration_seconds.Add(labels, QueueBuckets())};
}

}  // namespace kcau::metrics
