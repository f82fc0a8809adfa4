// Wires the UpdateRun reconciler to the cluster: informers on UpdateRuns, Nodes and Pods feed
// the work queue ("look again" signals only) and, slimmed to the fields decisions read, are
// the cache the reconciler reads nodes and pods from; worker threads drain the queue; a
// resync timer re-enqueues every run so timers and missed events never strand a run. Events
// are coalesced by the queue, not by a timer: those that arrive while a run is queued or
// being reconciled become one more pass, and the first after a quiet spell is acted on at
// once (a node back from its reboot is answered in milliseconds, not after a fixed hold).
//
// Thread-safety: Start/Stop from one thread; NotReadyReason() from any (the /readyz handler).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "controller/run_metrics.h"
#include "controller/work_queue.h"
#include "reconcilers/cluster_source.h"
#include "reconcilers/pod_store.h"
#include "reconcilers/updaterun_reconciler.h"

namespace kcau::kube {
class KubeClient;
class Informer;
}  // namespace kcau::kube
namespace kcau::metrics {
struct KcauMetrics;
class CallbackCollector;
}  // namespace kcau::metrics

namespace kcau::controller {

class UpdateRunController {
 public:
  // `signing_key` signs every request written to an agent; it must outlive the controller.
  UpdateRunController(kube::KubeClient& client, const Clock& clock, metrics::KcauMetrics* metrics,
                      int workers, Duration resync_period,
                      const agent::RequestSigningKey& signing_key,
                      const std::string& controller_namespace = "default",
                      reconcilers::HookRunnerPolicy hook_policy = {});
  ~UpdateRunController();
  UpdateRunController(const UpdateRunController&) = delete;
  UpdateRunController& operator=(const UpdateRunController&) = delete;

  // Informers (caches) start at once, also on a standby replica, so a new leader acts on
  // warm caches and /readyz reflects them; workers act only once leading.
  void StartInformers();
  void StartWorkers();
  void Start() {
    StartInformers();
    StartWorkers();
  }
  void Stop();
  // Empty once every informer has listed (before that a decision could miss a node), else
  // which cache is not synced yet.
  std::string NotReadyReason() const;

  // kcau_informer_relists_total and kcau_informer_watch_restarts_total{resource} of its
  // informers, read at each scrape; `collector` must not outlive this controller.
  void AddInformerMetrics(metrics::CallbackCollector& collector) const;

  // See UpdateRunReconciler::SetNodePhaseEvents. Before Start().
  void SetNodePhaseEvents(bool on) { reconciler_.SetNodePhaseEvents(on); }

  // See UpdateRunReconciler::SetOwnPod. Before Start().
  void SetOwnPod(kube::ObjectKey pod, std::function<void()> hand_over) {
    reconciler_.SetOwnPod(std::move(pod), std::move(hand_over));
  }

 private:
  void EnqueueAllRuns();
  // kcau_updateruns{phase} from the informer's cache: the cluster-wide view no single
  // reconcile has.
  void PublishRunsByPhase();
  void WorkerLoop();
  void ResyncLoop();

  kube::KubeClient& client_;
  const Clock& clock_;
  metrics::KcauMetrics* metrics_;
  const int workers_;
  const Duration resync_period_;
  WorkQueue queue_;
  std::unique_ptr<kube::Informer> runs_;
  // The nodes as passes read them, and nodes_'s record of keys and versions; fed by nodes_.
  // Outlives nodes_.
  reconcilers::NodeStore node_store_;
  std::unique_ptr<kube::Informer> nodes_;
  // The pods as drains read them, and pods_'s record of keys and versions; fed by pods_.
  // Outlives pods_.
  reconcilers::PodStore pod_store_;
  std::unique_ptr<kube::Informer> pods_;
  reconcilers::CachedClusterSource cluster_;
  std::unique_ptr<RunMetrics> run_metrics_;  // null without metrics_
  reconcilers::UpdateRunReconciler reconciler_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::mutex stop_mu_;  // pairs with stop_cv_ to wake the resync loop on Stop()
  std::condition_variable stop_cv_;
};

}  // namespace kcau::controller
