#include "controller/updaterun_controller.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "common/logging.h"
#include "common/thread_name.h"
#include "common/thread_priority.h"
#include "controller/result_handler.h"
#include "kube/informer.h"
#include "kube/kube_client.h"
#include "kube/object_meta.h"
#include "metrics/callback_collector.h"
#include "metrics/kcau_metrics.h"
#include "reconcilers/object_views.h"

namespace kcau::controller {

namespace {

// Lists in pages of 500, as client-go's reflector does: no single response holds 50,000 pods.
kube::ListOptions Paged() {
  kube::ListOptions options;
  options.limit = 500;
  return options;
}

// Runs are listed and watched as metadata: a pass reads its run from the API, and every
// status write would otherwise come back as a watch event carrying the whole run (~400 KiB
// at 5,000 nodes). Their phases are the reconciler's (RunPhases).
kube::ListOptions PagedMetadata() {
  kube::ListOptions options = Paged();
  options.metadata_only = true;
  return options;
}

// The controller's and its queue's name in metrics (controller-runtime names both so).
constexpr char kController[] = "updaterun";
constexpr char kQueue[] = "updaterun";

// How long a worker blocks on an empty queue before checking for shutdown.
constexpr Duration kWorkerPoll = std::chrono::milliseconds(500);
// A run rests as long as its last pass took before the next one begins: at most half of a
// worker's time goes to one run. A pass of a 5,000-node run costs both sides the whole run
// (read, decode, status patch), and without the rest its passes came back to back, each
// with fewer changes to write; a small run's passes take milliseconds, so its rests do too.
// Node writes that must not wait for a pass (an uncordon at a round's end) do not
// (docs/architecture.md).
constexpr Pacing kPassPacing{1.0};

}  // namespace

UpdateRunController::UpdateRunController(kube::KubeClient& client, const Clock& clock,
                                         metrics::KcauMetrics* metrics, int workers,
                                         Duration resync_period,
                                         const agent::RequestSigningKey& signing_key,
                                         const std::string& controller_namespace,
                                         reconcilers::HookRunnerPolicy hook_policy)
    : client_(client),
      clock_(clock),
      metrics_(metrics),
      workers_(workers),
      resync_period_(resync_period),
      queue_(clock, {},
             metrics != nullptr ? std::optional<metrics::WorkQueueMetrics>(metrics->Queue(kQueue))
                                : std::nullopt,
             kPassPacing),
      runs_(std::make_unique<kube::Informer>(
          client, kube::resources::UpdateRuns(), "", PagedMetadata(),
          [this](const std::string& type, const kube::Json& object) {
            const std::string name = kube::NameOf(object);
            if (!name.empty()) queue_.Add(name);
          })),
      // Any node change may unblock a run (a reboot finished, a cordon landed): look at every
      // run again. The reconciler decides whether the change matters.
      nodes_(std::make_unique<kube::Informer>(
          client, kube::resources::Nodes(), "", Paged(),
          [this](const std::string& type, const kube::Json& object) {
            // A node whose last round just ended is uncordoned at once (prompt_uncordons.h).
            node_store_.Apply(type, object, [this](const reconcilers::NodeView& view) {
              reconciler_.NodeSeen(view);
            });
            EnqueueAllRuns();
          })),
      // A pod gone may finish a drain; other pod changes never move a run.
      pods_(std::make_unique<kube::Informer>(
          client, kube::resources::Pods(), "", Paged(),
          [this](const std::string& type, const kube::Json& object) {
            pod_store_.Apply(type, object);
            if (type == "DELETED") EnqueueAllRuns();
          })),
      cluster_(*nodes_, node_store_, *pods_, pod_store_),
      run_metrics_(metrics != nullptr ? std::make_unique<RunMetrics>(*metrics) : nullptr),
      reconciler_(client, cluster_, clock, run_metrics_.get(), signing_key, controller_namespace,
                  std::move(hook_policy)) {
  // The stores their handlers feed keep what is read, and the keys and versions the
  // informers' relists compare; of runs, the informer keeps their names (a pass reads its run
  // from the API, and their phases are the reconciler's).
  runs_->KeepKeysOnly();
  nodes_->KeysKeptBy(node_store_);
  pods_->KeysKeptBy(pod_store_);
  // A pass waits neither for its drains nor for its Events: a node back from its reboot is
  // acted on at once, however many nodes are draining or ending. A drain's end brings its
  // run back.
  reconciler_.SetBackgroundWork([this](const std::string& run) { queue_.Add(run); });
}

UpdateRunController::~UpdateRunController() { Stop(); }

void UpdateRunController::StartInformers() {
  runs_->Start();
  nodes_->Start();
  pods_->Start();
}

void UpdateRunController::StartWorkers() {
  for (int i = 0; i < workers_; ++i) {
    threads_.emplace_back([this] {
      NameThisThread("reconcile");
      // A pass is bulk work: it yields a busy core to the nodes going back into service.
      LowerThisThreadsPriority(kBulkWorkNiceIncrement);
      WorkerLoop();
    });
  }
  threads_.emplace_back([this] {
    NameThisThread("resync");
    ResyncLoop();
  });
  // Everything the informers saw before we led must be looked at now.
  EnqueueAllRuns();
}

void UpdateRunController::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (stopping_.exchange(true)) return;
  }
  stop_cv_.notify_all();
  queue_.ShutDown();
  runs_->Stop();
  nodes_->Stop();
  pods_->Stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

std::string UpdateRunController::NotReadyReason() const {
  if (!runs_->HasSynced()) return "updateruns cache not synced";
  if (!nodes_->HasSynced()) return "nodes cache not synced";
  if (!pods_->HasSynced()) return "pods cache not synced";
  return "";
}

void UpdateRunController::EnqueueAllRuns() {
  std::vector<std::string> active;
  const reconcilers::RunPhases& phases = reconciler_.phases();
  runs_->Visit([&](const kube::Json& run) {
    const std::string name = kube::NameOf(run);
    // An ended run cannot be affected by a node change: node events do not wake it (its own
    // changes still do, via the run informer).
    if (!name.empty() && !phases.Ended(name)) active.push_back(name);
  });
  for (const auto& name : active) queue_.Add(name);
}

void UpdateRunController::WorkerLoop() {
  while (!stopping_) {
    std::optional<std::string> key = queue_.Get(kWorkerPoll);
    if (!key) continue;
    // Every line logged while handling the key names the run and this reconcile, as
    // controller-runtime's logs do.
    const LogScope log_scope({{"updaterun", *key}, {"reconcileID", NewReconcileId()}}, kController);
    if (metrics_ != nullptr)
      metrics_->active_workers.Add({{"controller", kController}}).Increment();
    const MonoTime started = clock_.Monotonic();
    reconcilers::ReconcileResult result = reconciler_.Reconcile(*key);
    if (metrics_ != nullptr) {
      metrics_->ObserveReconcileTime(
          kController, std::chrono::duration<double>(clock_.Monotonic() - started).count());
      metrics_->active_workers.Add({{"controller", kController}}).Decrement();
    }
    HandleReconcileResult(queue_, *key, result, metrics_);
    queue_.Done(*key);
    PublishRunsByPhase();
  }
}

void UpdateRunController::PublishRunsByPhase() {
  if (metrics_ == nullptr) return;
  std::vector<std::string> runs;
  runs_->Visit([&](const kube::Json& run) { runs.push_back(kube::NameOf(run)); });
  metrics_->SetRunsByPhase(reconciler_.phases().CountByPhase(runs));
}

void UpdateRunController::AddInformerMetrics(metrics::CallbackCollector& collector) const {
  auto per_informer = [this](int (kube::Informer::*count)() const) {
    return [this, count] {
      std::vector<metrics::Sample> samples;
      for (const kube::Informer* informer : {runs_.get(), nodes_.get(), pods_.get()}) {
        // The first list and the first watch are not restarts.
        samples.push_back({{{"resource", informer->resource().plural}},
                           static_cast<double>(std::max(0, (informer->*count)() - 1))});
      }
      return samples;
    };
  };
  collector.Add("kcau_informer_relists_total",
                "Times an informer listed again after its first list (its watch history was "
                "compacted away: 410 Gone).",
                prometheus::MetricType::Counter, per_informer(&kube::Informer::Lists));
  collector.Add("kcau_informer_watch_restarts_total",
                "Times an informer opened a watch again after its first (the server ended the "
                "stream, an error, a relist).",
                prometheus::MetricType::Counter, per_informer(&kube::Informer::Watches));
}

void UpdateRunController::ResyncLoop() {
  // A safety net for level-triggering: even a missed event is corrected within a period.
  std::unique_lock<std::mutex> lock(stop_mu_);
  while (!stop_cv_.wait_for(lock, resync_period_, [this] { return stopping_.load(); })) {
    EnqueueAllRuns();
  }
}

}  // namespace kcau::controller
