// One pass of the rollout planner over one UpdateRun: the state PlanRollout
// (reconcilers/rollout_planner.h) works on, and the steps it takes. Internal to the planner;
// nothing outside reconcilers/planner/ and rollout_planner.cc includes it.
//
// The steps live in files by question:
//   pass.cc        the pass itself: its order of steps, bookkeeping, spec-derived values
//   run_start.cc   validate the spec, make the plan (or publish whatIf)
//   admission.cc   which node starts next (batches, quorum, run lock, pre-scan window)
//   run_end.cc     the clock (warnAfter, stopAfter), stopping and ending the run
//   node_*.cc      the node state machine, one file per group of phases
//                  (docs/architecture.md, "The node state machine")
// Message text is in planner_messages.h.
//
// Thread-safety: a Pass is used by one thread for one call of PlanRollout; the whole is pure
// (no client, no clock, no logging).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "crd/updaterun_types.h"
#include "reconcilers/batch_admission.h"
#include "reconcilers/conditions.h"
#include "reconcilers/node_view.h"
#include "reconcilers/rollout_planner.h"

namespace kcau::reconcilers::planner {

// Not Pending and not ended: the run is working on the node.
bool InFlight(crd::NodePhase p);
// Cordoned or about to be, not yet asked to update: a stop brings such a node back at once.
bool BeforeUpdate(crd::NodePhase p);

// Scan requests (mode Scan, and the scan before a node is taken) have tokens of their own,
// so an agent never takes one for the update request of the same attempt.
inline constexpr char kScanTokenSuffix[] = "/scan";
bool IsScanToken(const std::string& token);

class Pass {
 public:
  Pass(const crd::UpdateRun& run, const std::vector<NodeView>& nodes, TimePoint now,
       const ElapsedFn& elapsed, std::string_view controller_version);
  Pass(const Pass&) = delete;
  Pass& operator=(const Pass&) = delete;

  RolloutDecision Run();

 private:
  using NodePhase = crd::NodePhase;
  using NodeResult = crd::NodeResult;

  // pass.cc: the steps of a started run.
  void Step();
  void Recount();

  // run_start.cc
  bool Start();  // false when the run cannot start (it then has ended)
  bool RefuseToStart(const std::vector<const NodeView*>& selected,
                     const std::vector<std::string>& offline);
  void PublishWhatIf(const std::vector<std::string>& to_update,
                     const std::vector<std::string>& offline, int width);
  std::string StartedMessage() const;

  // admission.cc
  void Admit();
  bool AgentsBeingRolled();
  Blocker HeldByAnotherRun(const NodeView& node) const;
  void StartNode(NodeResult& r);
  void RecordCordon(NodeResult& r, const NodeView& view);
  void TakeNode(NodeResult& r, const NodeView& view);
  bool PreScanWanted() const;
  bool PreScanning(const NodeResult& r) const;
  bool ScanFoundUpdates(const NodeResult& r, const NodeView* view) const;
  std::string PreflightProblem(const NodeView& view) const;

  // run_end.cc
  void WatchTheClock();
  void StopRun(const std::string& reason, const std::string& why);
  void CompleteRun(const std::vector<std::string>& failed);
  void EndRun(crd::RunPhase phase, const std::string& reason, const std::string& message);

  // node_step.cc: one step of a node in flight, and the ways a node ends.
  void StepNode(NodeResult& r);
  void EndNodeSucceeded(NodeResult& r);
  void EndNodeFailed(NodeResult& r, const NodeView* view, const std::string& why);
  void RestoreNode(NodeResult& r, NodePhase to, const std::string& why);
  void EndNodeRestored(NodeResult& r);
  void EndNode(NodeResult& r, NodePhase phase, const std::string& message);

  // node_drain.cc: Cordoned, Draining.
  void Cordon(NodeResult& r, const NodeView& view);
  void StepCordoned(NodeResult& r, const NodeView& view);
  void StepDraining(NodeResult& r, const NodeView& view);
  void NoteUnmanagedPods(NodeResult& r, const NodeView& view, bool force);

  // node_update.cc: Updating, attempts and rounds, an agent that does not answer.
  void StepUpdating(NodeResult& r, const NodeView& view);
  void StartAttempt(NodeResult& r);
  void StartRound(NodeResult& r, const NodeView& view);
  void RequestRound(NodeResult& r);
  void EnterRound(NodeResult& r);
  NodeAction UpdateRequest(const NodeResult& r) const;
  std::string RescanToken(const NodeResult& r) const;
  int PluginOfRound(int round) const;
  int PlannedRounds() const;
  bool AnotherRound(const NodeResult& r, const NodeView& view) const;
  bool AgentTimedOut(const NodeResult& r) const;
  void RequeueForAgent(const NodeResult& r);
  void AgentSilent(NodeResult& r, const NodeView& view);
  void WithdrawUnanswered(const NodeResult& r, const NodeView& view);
  bool AwaitingOwnWrite(const NodeView& view);

  // node_hooks.cc: PreUpdateHook, PostUpdateHook, and what follows a successful update.
  void StartHook(NodeResult& r, NodePhase phase, bool new_attempt = true);
  std::string HookToken(const NodeResult& r) const;
  void StepHook(NodeResult& r, const NodeView& view);
  void AfterUpdate(NodeResult& r);

  // node_scan.cc: Scanning (mode Scan, and the scan before a node is taken).
  void StartScan(NodeResult& r);
  void ScanFailed(NodeResult& r);
  NodeAction ScanRequest(const NodeResult& r) const;
  void StepScanning(NodeResult& r, const NodeView& view);
  void NothingToInstall(NodeResult& r, const NodeView& view);

  // node_verify.cc: Rebooting, Verifying.
  void StepRebooting(NodeResult& r, const NodeView& view);
  void StepVerifying(NodeResult& r, const NodeView& view);
  void WaitOrTimeOut(NodeResult& r, const NodeView& view, const std::string& what);
  void ExpectUncordons();

  // blocks.cc: what holds a node or the run up, said in status and in Events.
  void BlockNode(NodeResult& r, const std::string& reason, const std::string& message,
                 bool announce = true);
  void UnblockNode(NodeResult& r);
  void BlockRun(const std::string& reason, const std::string& message);
  void UnblockRun();

  // pass.cc: bookkeeping.
  std::vector<std::string> NodesIn(NodePhase phase) const;
  void Enter(NodeResult& r, NodePhase phase);
  void Act(ActionType type, const std::string& node, const std::string& token = "");
  void Event(RunEvent event);
  void Requeue(Duration d);
  void SetRunCondition(const char* type, ConditionStatus status, const std::string& reason,
                       const std::string& message);
  const NodeView* Find(const std::string& name) const;
  // How long ago a status timestamp was: every timeout is measured with it, never as now_
  // minus the timestamp (see ElapsedFn).
  Duration Elapsed(std::optional<TimePoint> then) const;

  // pass.cc: what the spec says, defaults applied.
  int FailureBudget() const;
  int MaxAttempts() const;
  int MaxInFlight() const;
  bool SiteAware() const;
  bool Scanning() const;
  Duration RebootTimeout() const;
  Duration AgentTimeout() const;

  const crd::UpdateRun& run_;
  const TimePoint now_;
  const ElapsedFn& elapsed_;
  const std::string controller_version_;
  const std::vector<NodeView>& all_nodes_;
  // Hashed, keyed by the views' own names: a pass looks up nodes thousands of times at 5,000
  // nodes, and a tree of copied names was a fifth of the reconcile thread's time (perf).
  std::unordered_map<std::string_view, const NodeView*> by_name_;
  RolloutDecision d_;
};

}  // namespace kcau::reconcilers::planner
