// The metrics kcau-controller exposes (docs/metrics.md lists each), registered on an
// injected prometheus::Registry. Names follow controller-runtime's and client-go's
// (controller_runtime_*, workqueue_*, rest_client_*, leader_election_master_status), so
// dashboards and alerts written for Go controllers read kcau's too; kcau_* are the
// updating-specific ones. Every series with a known, fixed label set exists from the start
// at 0, so increase() and alerts work from the first event; per-run series are set and
// removed by controller/run_metrics.h.
//
// Thread-safety: prometheus-cpp's families and metrics are safe from any thread; this struct
// only holds references to them (valid as long as the registry).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace kcau::metrics {

// One work queue's series (client-go's workqueue metrics), labelled name=<queue>.
struct WorkQueueMetrics {
  prometheus::Gauge& depth;
  prometheus::Counter& adds;
  prometheus::Counter& retries;
  prometheus::Histogram& queue_duration;
  prometheus::Histogram& work_duration;
};

// The outcomes a reconcile is counted under, as controller-runtime names them.
inline constexpr const char* kReconcileResults[] = {"success", "error", "requeue", "requeue_after"};

struct KcauMetrics {
  // `controller` and `queue` name the one controller kcau runs ("updaterun"); their series
  // are created at 0 here.
  KcauMetrics(prometheus::Registry& registry, const std::string& version,
              const std::string& controller = "updaterun", int max_concurrent_reconciles = 1);
  KcauMetrics(const KcauMetrics&) = delete;
  KcauMetrics& operator=(const KcauMetrics&) = delete;

  // controller_runtime_reconcile_total{controller,result}; an "error" also counts in
  // controller_runtime_reconcile_errors_total{controller}.
  void CountReconcile(const std::string& controller, const std::string& result);
  void ObserveReconcileTime(const std::string& controller, double seconds);
  // Runs by phase across the cluster; phases not in `counts` read 0.
  void SetRunsByPhase(const std::map<std::string, int>& counts);
  // The series of the work queue `name`, created (at 0) on first use.
  WorkQueueMetrics Queue(const std::string& name);

  // The four phases of an UpdateRun (kcau_updateruns{phase}).
  static const std::vector<std::string>& RunPhases();
  // What can block a node (status.nodes[].blocked.reason) and a run (status.blocked.reason):
  // the reasons kcau_blocked_nodes and kcau_blocked_runs start with, at 0.
  static const std::vector<std::string>& NodeBlockReasons();
  static const std::vector<std::string>& RunBlockReasons();

  // controller-runtime
  prometheus::Family<prometheus::Counter>& reconcile_total;
  prometheus::Family<prometheus::Counter>& reconcile_errors_total;
  prometheus::Family<prometheus::Histogram>& reconcile_time_seconds;
  prometheus::Family<prometheus::Gauge>& max_concurrent_reconciles;
  prometheus::Family<prometheus::Gauge>& active_workers;
  // client-go workqueue
  prometheus::Family<prometheus::Gauge>& workqueue_depth;
  prometheus::Family<prometheus::Counter>& workqueue_adds_total;
  prometheus::Family<prometheus::Counter>& workqueue_retries_total;
  prometheus::Family<prometheus::Histogram>& workqueue_queue_duration_seconds;
  prometheus::Family<prometheus::Histogram>& workqueue_work_duration_seconds;
  // client-go leader election
  prometheus::Family<prometheus::Gauge>& leader;

  // UpdateRuns: across the cluster, then per run (label updaterun).
  prometheus::Family<prometheus::Gauge>& updateruns;
  prometheus::Family<prometheus::Gauge>& updaterun_nodes;
  prometheus::Family<prometheus::Gauge>& updaterun_failed_nodes;
  prometheus::Family<prometheus::Gauge>& updaterun_max_failed_nodes;
  prometheus::Family<prometheus::Gauge>& updaterun_retries;
  prometheus::Family<prometheus::Gauge>& updaterun_start_time_seconds;
  prometheus::Family<prometheus::Gauge>& updaterun_completion_time_seconds;
  prometheus::Family<prometheus::Gauge>& updaterun_warn_after_passed;
  prometheus::Family<prometheus::Gauge>& updaterun_oldest_cordoned_node_start_time_seconds;

  // Blocks, summed over runs, by reason; and how long each node's block lasted.
  prometheus::Family<prometheus::Gauge>& blocked_nodes;
  prometheus::Family<prometheus::Gauge>& blocked_runs;
  prometheus::Family<prometheus::Histogram>& node_blocked_duration_seconds;

  // Nodes, counted on status transitions (no per-node labels).
  prometheus::Family<prometheus::Counter>& node_updates_total;
  prometheus::Counter& node_reboots_total;
  prometheus::Family<prometheus::Counter>& evictions_total;
  prometheus::Family<prometheus::Counter>& agent_answers_total;
  prometheus::Counter& agent_timeouts_total;
  prometheus::Histogram& node_drain_duration_seconds;
  prometheus::Histogram& node_install_duration_seconds;
  prometheus::Histogram& node_reboot_duration_seconds;
  prometheus::Family<prometheus::Histogram>& node_update_duration_seconds;

  // Bucket bounds: a node's phases last seconds to hours.
  static const prometheus::Histogram::BucketBoundaries& NodeDurationBuckets();
};

}  // namespace kcau::metrics
