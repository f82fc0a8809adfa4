// The metrics kcau exposes, registered on an injected Registry. Names follow
// controller-runtime's (internal/controller/metrics) so existing dashboards and alerts for
// Go controllers read kcau's too; kcau_* are the updating-specific ones.
// Thread-safety: as Registry — every method is safe from any thread.
#pragma once

#include <map>
#include <string>

#include "metrics/registry.h"

namespace kcau::metrics {

struct KcauMetrics {
  KcauMetrics(Registry& registry, const std::string& version);

  void CountReconcile(const std::string& controller, const std::string& result);
  void ObserveReconcileTime(const std::string& controller, double seconds);
  void SetQueueDepth(const std::string& queue, size_t depth);
  // Runs by phase across the cluster, refilled from scratch so vanished phases read 0.
  void SetRunsByPhase(const std::map<std::string, int>& counts);
  // Nodes of one run by phase; a deleted run's series are removed with ForgetRun.
  void SetRunNodesByPhase(const std::string& run, const std::map<std::string, int>& counts);
  void ForgetRun(const std::string& run);

  Family reconcile_total;         // controller_runtime_reconcile_total{controller,result}
  Family reconcile_errors_total;  // controller_runtime_reconcile_errors_total{controller}
  Family reconcile_time_seconds;  // controller_runtime_reconcile_time_seconds{controller}
  Family workqueue_depth;         // workqueue_depth{name}
  Family updateruns;              // kcau_updateruns{phase}
  Family updaterun_nodes;         // kcau_updaterun_nodes{updaterun,phase}
  Family node_updates_total;      // kcau_node_updates_total{result}
  Family node_reboots_total;      // kcau_node_reboots_total
  Family evictions_total;         // kcau_evictions_total{result}
  Family build_info;              // kcau_build_info{version}
  Family leader;                  // leader_election_master_status{name}
};

}  // namespace kcau::metrics
