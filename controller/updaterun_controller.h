// Wires the UpdateRun reconciler to the cluster: informers on UpdateRuns and Nodes feed the
// work queue ("look again" signals only; the reconciler re-reads everything), worker threads
// drain it, a resync timer re-enqueues every run so timers and missed events never strand a
// run.
//
// Thread-safety: Start/Stop from one thread; Ready() from any (the /readyz handler).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "controller/work_queue.h"
#include "reconcilers/updaterun_reconciler.h"

namespace kcau::kube {
class KubeClient;
class Informer;
}  // namespace kcau::kube
namespace kcau::metrics {
struct KcauMetrics;
}

namespace kcau::controller {

class UpdateRunController {
 public:
  UpdateRunController(kube::KubeClient& client, const Clock& clock, metrics::KcauMetrics* metrics,
                      int workers, Duration resync_period);
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
  // True once both informers have listed: before that a decision could miss a node.
  bool Ready() const;
  std::string NotReadyReason() const;

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
  reconcilers::UpdateRunReconciler reconciler_;
  std::unique_ptr<kube::Informer> runs_;
  std::unique_ptr<kube::Informer> nodes_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::mutex stop_mu_;  // pairs with stop_cv_ to wake the resync loop on Stop()
  std::condition_variable stop_cv_;
};

}  // namespace kcau::controller
