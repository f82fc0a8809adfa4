// The UpdateRun reconciler: the thin I/O shell around PlanRollout. Each call re-reads the
// run (from the API server) and the nodes and pods (from a ClusterSource: the informers'
// caches in the controller), decides, writes the status (only when it changed), then applies
// the actions that status announces, then publishes Events. It keeps no state between calls,
// so a controller killed at any instant resumes from what the API server holds. A status
// write refused with 409 Conflict (someone else changed the run) is not acted on: the run
// is re-read and the decision made again at once. A run starts only once it holds its
// target's run lock (run_lock.h); while another run holds it, it stays Pending, Locked.
//
// A pass is a few named steps: read the run; ensure the finalizer (an ended run loses it, an
// active one gains it before any node is touched); gate the start (hook prerequisites, the
// run lock); decide (PlanRollout, then the run lock again); apply the decision (write
// status, act on nodes, record Events, tell the RunObserver, release the lock).
//
// Timeouts (reboot, drain, hooks, warnAfter, stopAfter, a stale run lock) are measured with
// ElapsedSince, so a step of the wall clock neither fires nor stalls them.
//
// Thread-safety: Reconcile may run on several threads for *different* runs; the work queue
// guarantees one run is never reconciled twice at once.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "kube/json.h"
#include "kube/resource.h"
#include "reconcilers/background_node_actions.h"
#include "reconcilers/bounded_executor.h"
#include "reconcilers/elapsed_since.h"
#include "reconcilers/event_recorder.h"
#include "reconcilers/eviction_refusals.h"
#include "reconcilers/hook_runner_policy.h"
#include "reconcilers/prompt_uncordons.h"
#include "reconcilers/reconcile_result.h"
#include "reconcilers/run_lock_store.h"
#include "reconcilers/run_observer.h"
#include "reconcilers/run_phases.h"
#include "reconcilers/run_status_write.h"
#include "reconcilers/unseen_node_writes.h"

namespace kcau::kube {
class KubeClient;
}  // namespace kcau::kube
namespace kcau::reconcilers {
class ClusterSource;
}
namespace kcau::agent {
class RequestSigningKey;
}
namespace kcau::reconcilers {

class UpdateRunReconciler {
 public:
  // `observer` (the controller's metrics) may be null; it must outlive the reconciler. Run locks
  // (Leases) and hook ConfigMaps are kept in `run_lock_namespace`; hooks run as `hook_policy`
  // allows. Every request written to an agent is signed with `signing_key`, which must outlive the
  // reconciler.
  UpdateRunReconciler(kube::KubeClient& client, ClusterSource& cluster, const Clock& clock,
                      RunObserver* observer, const agent::RequestSigningKey& signing_key,
                      const std::string& run_lock_namespace = "default",
                      HookRunnerPolicy hook_policy = {});
  UpdateRunReconciler(const UpdateRunReconciler&) = delete;
  UpdateRunReconciler& operator=(const UpdateRunReconciler&) = delete;

  ReconcileResult Reconcile(const std::string& run_name);

  // The controller's own pod. A drain leaves it until every other pod is gone; when
  // `hand_over` is set (leader election: another replica can lead) it is called instead as
  // soon as a drain meets the pod, so the lead moves before the pod is evicted. Call before
  // the first Reconcile.
  void SetOwnPod(kube::ObjectKey pod, std::function<void()> hand_over) {
    own_pod_ = std::move(pod);
    hand_over_ = std::move(hand_over);
  }

  // Whether the Events that follow a node phase by phase (NodeStatusNotification, CAU's
  // per-phase notification, and NodeUpdateStarted) are published; off by default, so a node's
  // story is its outcome Event (NodeUpdated, NodeFailed, NodeSkipped), its warnings and its
  // updates. Status has every phase either way. Call before the first Reconcile.
  void SetNodePhaseEvents(bool on) { node_phase_events_ = on; }

  // The controller's mode: what a pass would otherwise wait for runs in the background.
  // Node actions (background_node_actions.h): a pass hands them over and goes on, and
  // `wake(run)` is called when a node's actions ended, so the run is looked at again.
  // Events: sent by kEventSenders threads of their own, as client-go's recorder sends them
  // asynchronously, so a wave of 500 nodes ending is not 500 requests the pass waits for
  // (one still queued when the controller stops is lost, like any best-effort Event). One
  // thread fell 2,000 Events behind at 5,000 nodes. Without it (tests, tools), a
  // pass applies its actions and records its Events before it returns. Call before the
  // first Reconcile.
  void SetBackgroundWork(std::function<void(const std::string& run)> wake) {
    wake_ = std::move(wake);
  }

  // A NodeView the node cache just took. In the controller's mode (SetBackgroundWork), a
  // node whose last round just ended clean is uncordoned at once rather than at its run's
  // next pass (prompt_uncordons.h). Safe from any thread.
  void NodeSeen(const NodeView& node);

  // Each run's phase as the last pass read or wrote it (run_phases.h), for the controller.
  const RunPhases& phases() const { return phases_; }

  // Returns once the node actions handed to the background (SetBackgroundWork) have ended
  // and their runs been woken: for tests, which then look at the cluster.
  void WaitForBackgroundActions() const { background_.WaitIdle(); }

  // Re-reads after a 409 before giving the key back to the queue's backoff.
  static constexpr int kConflictAttempts = 3;
  // Rewrites of a decided status after a 409 caused by a metadata-only change.
  static constexpr int kMetadataRewrites = kStatusMetadataRewrites;
  // Node actions (API requests) in flight at once, across the runs reconciled meanwhile.
  static constexpr int kActionsInFlight = 8;
  // With SetBackgroundWork, drains have a pool of their own of this many besides.
  static constexpr int kDrainsInFlight = 8;
  // And uncordons a pool of their own besides.
  static constexpr int kReturnsInFlight = 8;
  // How long an eviction waits at most for uncordons under way (YieldToReturns).
  static constexpr std::chrono::milliseconds kEvictionYieldAtMost{50};
  // With SetBackgroundWork, Events are sent by this many threads.
  static constexpr int kEventSenders = 4;

 private:
  // What one pass has read and decided so far, handed from step to step.
  struct Pass;
  // A step's verdict: nullopt to go on to the next step, else how the pass ends here.
  using Stop = std::optional<PassOutcome>;

  // One read-decide-write pass.
  PassOutcome ReconcileOnce(const std::string& run_name);
  PassOutcome Steps(Pass& pass);
  Stop Read(Pass& pass);
  PassOutcome EndInvalid(const std::string& name, const kube::Json& object,
                         const std::string& reason, const std::string& message, TimePoint now);
  Stop EnsureFinalizer(Pass& pass);
  Stop ReadCluster(Pass& pass);
  void MarkOwnWritesPending(const std::string& run, std::vector<NodeView>& nodes) const;
  Stop GateStart(Pass& pass);
  Stop Decide(Pass& pass);
  PassOutcome Apply(Pass& pass);
  void KeepWhatApplyReads(Pass& pass);
  Stop WriteDecidedStatus(Pass& pass);
  Stop ActOnNodes(Pass& pass);
  Stop ActOnNodesNow(Pass& pass);
  Status ApplyNodeActions(const std::vector<const NodeAction*>& actions,
                          const crd::UpdateRunSpec& spec, const std::string& read_version,
                          ActionOutcome& outcome, const NodeAction** failed,
                          const std::function<void()>& before_eviction = nullptr);
  void StartInBackground(const Pass& pass,
                         const std::vector<std::vector<const NodeAction*>>& by_node,
                         const std::map<std::string, std::string>& read_version);
  bool StartNodeJob(const std::string& run, std::vector<NodeAction> actions,
                    std::shared_ptr<const crd::UpdateRunSpec> spec,
                    const std::string& read_version);
  void ExpectUncordons(Pass& pass);
  void RecordEvents(const Pass& pass);
  Stop ReleaseEndedRun(Pass& pass);

  kube::KubeClient& client_;
  ClusterSource& cluster_;
  const Clock& clock_;
  RunObserver* observer_;  // may be null
  const agent::RequestSigningKey& signing_key_;
  std::optional<kube::ObjectKey> own_pod_;
  std::function<void()> hand_over_;
  bool node_phase_events_ = false;
  EventRecorder events_;
  // Timeouts from status timestamps, immune to wall-clock steps; shared by every run.
  ElapsedSince elapsed_;
  RunLockStore locks_;
  // What each run's last drains learned of PodDisruptionBudgets, for the next pass.
  EvictionRefusals refusals_;
  const HookRunnerPolicy hook_policy_;
  RunPhases phases_;
  PromptUncordons prompt_;
  // Node writes the cache has not shown yet: not sent again meanwhile (ActOnNodes).
  UnseenNodeWrites unseen_writes_;
  // Applies a pass's node actions side by side (ActOnNodes).
  BoundedExecutor executor_;
  // Set: node actions run in background_ and end by calling it, Events go out on
  // event_sender_ (SetBackgroundWork).
  std::function<void(const std::string& run)> wake_;
  // kEventSenders threads (the pool counts the caller's, which Submit does not use).
  BoundedExecutor event_sender_{"events", kEventSenders + 1, BoundedExecutor::Priority::kBulk};
  // Last: destroyed first, so no action runs once the members it uses are gone.
  BackgroundNodeActions background_{kActionsInFlight, kDrainsInFlight, kReturnsInFlight};
};

}  // namespace kcau::reconcilers
