#include "metrics/kcau_metrics.h"

namespace kcau::metrics {

namespace {

// Reconcile passes are milliseconds to seconds (API round trips); controller-runtime's
// buckets reach further, but a kcau pass never should.
const std::vector<double> kReconcileBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                               0.5,   1,    2.5,   5,    10,  30};

const char* const kRunPhases[] = {"Pending", "Running", "Succeeded", "Failed"};

}  // namespace

KcauMetrics::KcauMetrics(Registry& r, const std::string& version)
    : reconcile_total(r.Counter("controller_runtime_reconcile_total",
                                "Total number of reconciliations per controller.",
                                {"controller", "result"})),
      reconcile_errors_total(r.Counter("controller_runtime_reconcile_errors_total",
                                       "Total number of reconciliation errors per controller.",
                                       {"controller"})),
      reconcile_time_seconds(r.Histogram("controller_runtime_reconcile_time_seconds",
                                         "Length of time per reconciliation per controller.",
                                         {"controller"}, kReconcileBuckets)),
      workqueue_depth(r.Gauge("workqueue_depth", "Current depth of workqueue.", {"name"})),
      updateruns(r.Gauge("kcau_updateruns", "UpdateRuns by phase.", {"phase"})),
      updaterun_nodes(r.Gauge("kcau_updaterun_nodes", "Nodes of each UpdateRun by node phase.",
                              {"updaterun", "phase"})),
      node_updates_total(r.Counter("kcau_node_updates_total",
                                   "Nodes that finished updating, by result.", {"result"})),
      node_reboots_total(
          r.Counter("kcau_node_reboots_total", "Node reboots observed during updating runs.")),
      evictions_total(
          r.Counter("kcau_evictions_total",
                    "Pod evictions attempted while draining nodes, by result "
                    "(evicted; blocked by a PodDisruptionBudget; deleted by drain Force; "
                    "failback: moved back by failbackMode Policy).",
                    {"result"})),
      build_info(r.Gauge("kcau_build_info", "kcau build information; always 1.", {"version"})),
      leader(r.Gauge("leader_election_master_status",
                     "1 while this replica holds the leader Lease, else 0.", {"name"})) {
  build_info.Set({version}, 1);
  for (const char* phase : kRunPhases) updateruns.Set({phase}, 0);
}

void KcauMetrics::CountReconcile(const std::string& controller, const std::string& result) {
  reconcile_total.Inc({controller, result});
  if (result == "error") reconcile_errors_total.Inc({controller});
}

void KcauMetrics::ObserveReconcileTime(const std::string& controller, double seconds) {
  reconcile_time_seconds.Observe({controller}, seconds);
}

void KcauMetrics::SetQueueDepth(const std::string& queue, size_t depth) {
  workqueue_depth.Set({queue}, static_cast<double>(depth));
}

void KcauMetrics::SetRunsByPhase(const std::map<std::string, int>& counts) {
  for (const char* phase : kRunPhases) {
    auto it = counts.find(phase);
    updateruns.Set({phase}, it == counts.end() ? 0 : it->second);
  }
}

void KcauMetrics::SetRunNodesByPhase(const std::string& run,
                                     const std::map<std::string, int>& counts) {
  updaterun_nodes.ClearWhereFirstLabelIs(run);
  for (const auto& [phase, n] : counts) updaterun_nodes.Set({run, phase}, n);
}

void KcauMetrics::ForgetRun(const std::string& run) { updaterun_nodes.ClearWhereFirstLabelIs(run); }

}  // namespace kcau::metrics
