#include "reconcilers/rollout_planner.h"

#include <algorithm>
#include <map>

#include "crd/duration.h"
#include "crd/names.h"
#include "crd/validation.h"
#include "reconcilers/batch_admission.h"
#include "reconcilers/conditions.h"
#include "reconcilers/label_match.h"
#include "reconcilers/node_order.h"
#include "reconcilers/supported_fields.h"

namespace kcau::reconcilers {

namespace {

using crd::NodePhase;
using crd::NodeResult;
using crd::RunPhase;

bool InFlight(NodePhase p) {
  return p != NodePhase::kPending && p != NodePhase::kSucceeded && p != NodePhase::kFailed &&
         p != NodePhase::kSkipped;
}

std::string Join(const std::vector<std::string>& items, const std::string& sep = ", ") {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

std::string JoinSome(const std::vector<std::string>& items, const std::string& sep = ", ") {
  if (items.size() <= kNamesInMessages) return Join(items, sep);
  std::vector<std::string> head(items.begin(), items.begin() + kNamesInMessages);
  return Join(head, sep) + " and " + std::to_string(items.size() - kNamesInMessages) + " more";
}

// Why a node's agent cannot be asked anything (a pre-flight check, and part of why a node
// that was not Ready at the start was skipped).
std::string NoAgentMessage() {
  return std::string("no kcau-agent answers on this node (") + agent::kAgentVersionAnnotation +
         " absent)";
}

// Scan requests (mode Scan, and the scan before a node is taken) have tokens of their own,
// so an agent never takes one for the update request of the same attempt.
constexpr char kScanTokenSuffix[] = "/scan";

bool IsScanToken(const std::string& token) {
  const std::string suffix = kScanTokenSuffix;
  return token.size() >= suffix.size() &&
         token.compare(token.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string Minutes(int m) { return std::to_string(m) + (m == 1 ? " minute" : " minutes"); }

// Everything one pass needs, so the step functions below stay short.
class Pass {
 public:
  Pass(const crd::UpdateRun& run, const std::vector<NodeView>& nodes, TimePoint now,
       const ElapsedFn& elapsed)
      : run_(run), now_(now), elapsed_(elapsed) {
    d_.status = run.status;
    d_.status.observed_generation = run.generation;
    for (const auto& n : nodes) by_name_[n.name] = &n;
    all_nodes_ = &nodes;
  }

  RolloutDecision Run() {
    auto& st = d_.status;
    if (st.phase == RunPhase::kSucceeded || st.phase == RunPhase::kFailed) {
      // An ended run is a record; only a new UpdateRun starts another.
      d_.terminal = true;
      return std::move(d_);
    }
    if (st.plan.empty() && run_.deleting) {
      EndRun(RunPhase::kFailed, "Deleted", "the run was deleted before it started");
      return std::move(d_);
    }
    if (st.plan.empty() && !Start()) return std::move(d_);
    Step();
    Recount();
    return std::move(d_);
  }

 private:
  // Validates and makes the plan. False when the run cannot start (it then has ended).
  bool Start() {
    const auto& spec = run_.spec;
    std::vector<const NodeView*> selected;
    for (const auto& n : *all_nodes_) {
      if (!spec.node_selector || SelectorMatches(*spec.node_selector, n.labels)) {
        selected.push_back(&n);
      }
    }
    std::vector<std::string> unsupported = UnsupportedFieldsIn(spec);
    if (!unsupported.empty()) {
      EndRun(RunPhase::kFailed, "Unsupported",
             Join(unsupported) + ": not supported by this kcau version yet; remove " +
                 (unsupported.size() == 1 ? "it" : "them") + " or upgrade the controller");
      return false;
    }
    std::vector<std::string> names;
    for (const NodeView* n : selected) names.push_back(n->name);
    std::vector<crd::FieldError> errors = crd::ValidateUpdateRunSpec(spec, names);
    if (selected.empty()) {
      errors.push_back({"spec.nodeSelector", "selects no node"});
    }
    for (size_t i = 0; i < spec.site_aware_updating_order.size(); ++i) {
      const std::string& site = spec.site_aware_updating_order[i];
      const bool any = std::any_of(selected.begin(), selected.end(),
                                   [&](const NodeView* n) { return ZoneOf(*n) == site; });
      if (!any) {
        errors.push_back(
            {"spec.siteAwareUpdatingOrder[" + std::to_string(i) + "]",
             "no selected node is in site \"" + site + "\" (label " + kZoneLabel + ")"});
      }
    }
    if (!errors.empty()) {
      EndRun(RunPhase::kFailed, "Invalid", crd::FormatFieldErrors(errors));
      return false;
    }
    std::vector<std::string> offline;
    for (const NodeView* n : selected) {
      if (!n->ready) offline.push_back(n->name);
    }
    if (!offline.empty() && spec.require_all_nodes_online.value_or(false)) {
      EndRun(RunPhase::kFailed, "NodesOffline",
             "requireAllNodesOnline: " + std::to_string(offline.size()) +
                 " selected node(s) not Ready: " + JoinSome(offline) + "; no node was touched");
      return false;
    }

    auto& st = d_.status;
    st.plan = OrderNodes(spec, selected);
    st.nodes.clear();
    std::vector<std::string> to_update;
    for (const auto& name : st.plan) {
      NodeResult r;
      r.name = name;
      if (std::find(offline.begin(), offline.end(), name) != offline.end()) {
        // CAU skips nodes that are down when the run starts (RequireAllNodesOnline refuses).
        // A node without an agent would not have been updated either: said too, so the
        // message gives every reason there is.
        const NodeView* view = Find(name);
        const bool no_agent = view != nullptr && view->agent_version.empty() &&
                              !spec.skip_update_checks.value_or(false);
        r.phase = NodePhase::kSkipped;
        r.message = "not Ready when the run started" +
                    (no_agent ? ", and " + NoAgentMessage() : std::string()) +
                    ": skipped (requireAllNodesOnline refuses instead)";
      } else {
        to_update.push_back(name);
      }
      st.nodes.push_back(r);
    }
    st.nodes_total = static_cast<int>(st.nodes.size());
    st.start_time = now_;
    const int width = MaxInFlight();
    const bool plugin_options = spec.run_plugins_serially.value_or(false) ||
                                spec.stop_on_plugin_failure.value_or(false) ||
                                spec.separate_reboots.value_or(false);
    if (plugin_options && spec.plugins.size() == 1) {
      // As the cmdlet warns, whatIf included: these only mean something between several
      // plug-ins.
      SetCondition(st.conditions, crd::kConditionWarning, "True", "SinglePlugin",
                   "runPluginsSerially, stopOnPluginFailure and separateReboots have no effect "
                   "with a single plug-in",
                   run_.generation, now_);
    }
    if (spec.what_if.value_or(false)) {
      PublishWhatIf(to_update, offline, width);
      return false;
    }
    st.phase = RunPhase::kRunning;
    SetCondition(st.conditions, crd::kConditionProgressing, "True", "Started", StartedMessage(),
                 run_.generation, now_);
    SetCondition(st.conditions, crd::kConditionSucceeded, "False", "InProgress", "run in progress",
                 run_.generation, now_);
    SetCondition(st.conditions, crd::kConditionFailed, "False", "InProgress", "run in progress",
                 run_.generation, now_);
    Event("Normal", "RunStarted",
          "plan: " + JoinSome(to_update) + "; maxUnavailable " + std::to_string(width) +
              "; maxFailedNodes " + std::to_string(FailureBudget()) +
              (offline.empty() ? "" : "; skipped (not Ready): " + JoinSome(offline)));
    return true;
  }

  std::string StartedMessage() const {
    if (Scanning()) {
      return "scanning " + std::to_string(d_.status.nodes_total) +
             " nodes (nothing is changed): " + JoinSome(d_.status.plan);
    }
    const int width = MaxInFlight();
    return "updating " + std::to_string(d_.status.nodes_total) + " nodes, " +
           (width == 1 ? std::string("one at a time")
                       : "up to " + std::to_string(width) + " at a time") +
           ": " + JoinSome(d_.status.plan);
  }

  // WhatIf: the plan, its waves and the skipped nodes go to status; nothing is touched.
  void PublishWhatIf(const std::vector<std::string>& to_update,
                     const std::vector<std::string>& offline, int width) {
    auto& st = d_.status;
    st.batches = PredictBatches(to_update, *all_nodes_, width, SiteAware());
    std::map<std::string, size_t> wave_of;
    for (size_t i = 0; i < st.batches.size(); ++i) {
      for (const auto& name : st.batches[i]) wave_of[name] = i + 1;
    }
    for (auto& r : st.nodes) {
      if (r.phase == NodePhase::kPending) {
        r.message = "would be updated in batch " + std::to_string(wave_of[r.name]) + " of " +
                    std::to_string(st.batches.size());
      }
    }
    std::string message = "whatIf: " + std::to_string(to_update.size()) + " node(s) in " +
                          std::to_string(st.batches.size()) + " batch(es) of up to " +
                          std::to_string(width) + ": " + JoinSome(to_update) +
                          (offline.empty() ? "" : "; skipped (not Ready): " + JoinSome(offline)) +
                          "; nothing was touched";
    EndRun(RunPhase::kSucceeded, "WhatIf", message);
  }

  void Step() {
    auto& st = d_.status;
    for (auto& r : st.nodes) {
      if (InFlight(r.phase)) StepNode(r);
    }
    WatchTheClock();
    const std::vector<std::string> failed = NodesIn(NodePhase::kFailed);
    if (static_cast<int>(failed.size()) > FailureBudget()) {
      Stop("TooManyFailedNodes",
           std::to_string(failed.size()) + " node(s) failed (" + JoinSome(failed) +
               "), more than maxFailedNodes=" + std::to_string(FailureBudget()));
      return;
    }
    if (run_.deleting) {
      Stop("Deleted", "the run was deleted");
      return;
    }
    if (run_.spec.stop.value_or(false)) {
      Stop("Cancelled", "cancelled by spec.stop");
      return;
    }
    if (run_.spec.stop_after && Elapsed(st.start_time) >= *run_.spec.stop_after) {
      Stop("StopAfterReached",
           "stopAfter " + crd::FormatDuration(*run_.spec.stop_after) + " reached");
      return;
    }
    Admit();
  }

  // ForceSelfUpdate: before any node starts, every selected node's agent runs the
  // controller's version: the DaemonSet is rolled (idempotent: asked again each pass) and the
  // run waits, saying for whom. Nodes without an agent are left to the pre-flight check.
  bool AgentsBeingRolled() {
    if (!run_.spec.force_self_update.value_or(false) || Scanning()) return false;
    std::vector<std::string> behind;
    for (const auto& r : d_.status.nodes) {
      const NodeView* v = Find(r.name);
      if (r.phase == NodePhase::kPending && v != nullptr && !v->agent_version.empty() &&
          v->agent_version != KCAU_VERSION) {
        behind.push_back(r.name + " (" + v->agent_version + ")");
      }
    }
    if (behind.empty()) return false;
    Act(ActionType::kRollAgents, "", KCAU_VERSION);
    SetCondition(d_.status.conditions, crd::kConditionProgressing, "True", "UpdatingAgents",
                 "forceSelfUpdate: waiting for the agents to run " + std::string(KCAU_VERSION) +
                     " on " + JoinSome(behind),
                 run_.generation, now_);
    Requeue(kHookPollInterval);
    return true;
  }

  // Starts nodes, in plan order, while the next one is admitted.
  //
  // Before a node is taken (its pre-update hook, its cordon) its agent scans it, and a node
  // with nothing to install is left alone. Scans change nothing on a node, so they do not
  // count against maxUnavailable: they run ahead of the nodes being updated, up to
  // maxUnavailable nodes beyond those, so that when a place frees up the next node is
  // usually known to need updates and is taken at once, and nodes with nothing to install
  // go by without holding a place. The window is bounded rather than the whole plan: a
  // result is fresher when its node's turn comes, and a 5,000-node run does not ask every
  // agent at once. Nodes are still taken strictly in plan order: a scanned node waits for
  // the nodes before it.
  void Admit() {
    if (AgentsBeingRolled()) return;
    auto& st = d_.status;
    std::vector<const NodeView*> taken;  // in flight past their scan: what admission counts
    int scans_ahead = 0;                 // pre-scans asked for or waiting for their turn
    for (const auto& r : st.nodes) {
      const NodeView* v = Find(r.name);
      if (!InFlight(r.phase) || v == nullptr) continue;
      if (PreScanning(r)) {
        ++scans_ahead;
      } else {
        taken.push_back(v);
      }
    }
    std::string blocker;
    bool its_turn = true;  // every node before this one in the plan was taken or has ended
    for (auto& r : st.nodes) {
      const bool pending = r.phase == NodePhase::kPending;
      if (!pending && !PreScanning(r)) continue;
      const NodeView* next = Find(r.name);
      if (pending && PreScanWanted()) {
        if (scans_ahead >= MaxInFlight()) break;
        // A node another run holds is not asked anything until it may be taken.
        if (next != nullptr) blocker = HeldByAnotherRun(*next);
        if (!blocker.empty()) break;
        StartNode(r);
        if (PreScanning(r)) {
          ++scans_ahead;
          its_turn = false;
        }
        continue;
      }
      if (!pending && (!its_turn || !ScanFoundUpdates(r, next))) {
        its_turn = false;
        continue;
      }
      if (next != nullptr && !Scanning()) {  // a scan disturbs nothing: every node at once
        blocker = AdmissionBlocker(*next, taken, *all_nodes_, MaxInFlight(), SiteAware());
        if (blocker.empty()) blocker = HeldByAnotherRun(*next);
        if (!blocker.empty()) break;
      }
      if (pending) {
        StartNode(r);
      } else {
        --scans_ahead;
        TakeNode(r, *next);
      }
      if (!InFlight(r.phase)) continue;
      taken.push_back(next);
      // Already cordoned (by an admin): nothing to wait for, go on in this pass.
      if (next->unschedulable && !Scanning()) StepNode(r);
    }
    if (IsQuorumBlocker(blocker) || blocker.rfind("locked: ", 0) == 0) {
      SetCondition(st.conditions, crd::kConditionProgressing, "True", "Blocked", blocker,
                   run_.generation, now_);
      Requeue(kRebootPollInterval);
      return;
    }
    SetCondition(st.conditions, crd::kConditionProgressing, "True", "Started", StartedMessage(),
                 run_.generation, now_);
    const bool busy = std::any_of(st.nodes.begin(), st.nodes.end(),
                                  [](const NodeResult& r) { return InFlight(r.phase); });
    if (!busy && NodesIn(NodePhase::kPending).empty()) Complete(NodesIn(NodePhase::kFailed));
  }

  // A node another kcau run cordoned and left so (it failed there, or is updating it now)
  // is not taken without spec.forceRecovery (CAU's Locked state).
  std::string HeldByAnotherRun(const NodeView& node) const {
    if (!node.unschedulable || node.cordoned_by.empty() || node.cordoned_by == RunIdentity(run_) ||
        run_.spec.force_recovery.value_or(false)) {
      return "";
    }
    return std::string("locked: node ") + node.name + " was cordoned by run " + node.cordoned_by +
           " (kcau.io/cordoned-by); uncordon it or set spec.forceRecovery: true";
  }

  // No new node starts; nodes not yet updating are brought back; the rest finish. The run
  // ends when nothing is in flight.
  void Stop(const std::string& reason, const std::string& why) {
    auto& st = d_.status;
    int skipped = 0;
    for (auto& r : st.nodes) {
      if (r.phase == NodePhase::kPending || PreScanning(r)) {  // scanned, never taken
        Enter(r, NodePhase::kSkipped);
        r.message = "not started: " + why;
        ++skipped;
      } else if (InFlight(r.phase) && !r.restore_to && BeforeUpdate(r.phase)) {
        BeginRestore(r, NodePhase::kSkipped, "not updated: " + why);
      }
    }
    if (skipped > 0)
      Event("Warning", "RunStopping",
            why + "; " + std::to_string(skipped) + " node(s) will not be started");
    std::vector<std::string> busy;
    for (const auto& r : st.nodes) {
      if (InFlight(r.phase)) busy.push_back(r.name);
    }
    if (!busy.empty()) {
      SetCondition(st.conditions, crd::kConditionProgressing, "True", "Stopping",
                   why + "; waiting for nodes in flight: " + JoinSome(busy), run_.generation, now_);
      return;
    }
    const auto not_started = NodesIn(NodePhase::kSkipped);
    EndRun(RunPhase::kFailed, reason,
           why + "; " + std::to_string(st.nodes_total - static_cast<int>(not_started.size())) +
               " node(s) taken, " + std::to_string(not_started.size()) + " skipped");
  }

  // warnAfter: a Warning condition and an Event, once; both timers ask for a wake-up.
  void WatchTheClock() {
    const auto& spec = run_.spec;
    const Duration elapsed = Elapsed(d_.status.start_time);
    if (spec.warn_after) {
      if (elapsed >= *spec.warn_after) {
        const crd::Condition* w = FindCondition(d_.status.conditions, crd::kConditionWarning);
        if (w == nullptr || w->reason != "WarnAfterExceeded") {
          const std::string m =
              "the run has taken longer than warnAfter " + crd::FormatDuration(*spec.warn_after);
          SetCondition(d_.status.conditions, crd::kConditionWarning, "True", "WarnAfterExceeded", m,
                       run_.generation, now_);
          Event("Warning", "WarnAfterExceeded", m);
        }
      } else {
        Requeue(*spec.warn_after - elapsed);
      }
    }
    if (spec.stop_after && elapsed < *spec.stop_after) Requeue(*spec.stop_after - elapsed);
  }

  static bool BeforeUpdate(NodePhase p) {
    return p == NodePhase::kPreUpdateHook || p == NodePhase::kCordoned || p == NodePhase::kDraining;
  }

  void StartNode(NodeResult& r) {
    const NodeView* view = Find(r.name);
    if (view == nullptr) {
      FailNode(r, nullptr, "node no longer exists");
      return;
    }
    if (std::string why = PreflightProblem(*view); !why.empty()) {
      // Not the node's fault that it cannot be updated now: skipped, not failed.
      Enter(r, NodePhase::kSkipped);
      r.finish_time = now_;
      r.message = "pre-flight check: " + why + " (spec.skipUpdateChecks: true skips the checks)";
      Event("Warning", "NodeSkipped", r.name + ": " + r.message);
      return;
    }
    if (Scanning()) {
      r.start_time = now_;
      StartScan(r);
      return;
    }
    RecordCordon(r, *view);
    if (PreScanWanted()) {
      StartScan(r);
      return;
    }
    TakeNode(r, *view);
  }

  // Recorded before the cordon so a restarted controller never uncordons a node an admin
  // had cordoned (kured keeps Unschedulable in its lock annotation for the same reason).
  // A cordon another kcau run left (kcau.io/cordoned-by) is not an admin's: a run that
  // is admitted to such a node (forceRecovery) takes it over and uncordons it at the end.
  void RecordCordon(NodeResult& r, const NodeView& view) {
    r.was_unschedulable = view.unschedulable && view.cordoned_by.empty();
  }

  // The node's update starts: its pre-update hook, else its cordon.
  void TakeNode(NodeResult& r, const NodeView& view) {
    r.start_time = now_;
    r.message.clear();
    r.boot_id_before = view.boot_id;  // now: a node may restart between its scan and here
    RecordCordon(r, view);
    if (run_.spec.pre_update_hook) {
      StartHook(r, NodePhase::kPreUpdateHook);
      return;
    }
    Cordon(r, view);
  }

  // Whether a node is scanned before it is taken: always, but where it would be taken
  // whatever the scan says (forceReboot reboots it, osRollingUpgrade upgrades its OS).
  bool PreScanWanted() const {
    return !Scanning() && !run_.spec.force_reboot.value_or(false) &&
           !run_.spec.os_rolling_upgrade.value_or(false);
  }
  // Scanned (or being scanned) before it is taken.
  bool PreScanning(const NodeResult& r) const {
    return !Scanning() && r.phase == NodePhase::kScanning;
  }
  bool ScanFoundUpdates(const NodeResult& r, const NodeView* view) const {
    if (view == nullptr || !view->agent_result) return false;
    const agent::AgentResult& result = *view->agent_result;
    return result.token == r.request_token && result.state == agent::AgentState::kScanned &&
           result.updates_found > 0;
  }

  // SkipUpdateChecks: the checks made before a node is taken: an agent answers there, and
  // the node is under no resource pressure (draining onto the others would not help it).
  std::string PreflightProblem(const NodeView& view) const {
    if (run_.spec.skip_update_checks.value_or(false)) return "";
    if (view.agent_version.empty()) return NoAgentMessage();
    if (view.agent_version != KCAU_VERSION) {
      return "its agent runs " + view.agent_version + ", not the controller's " + KCAU_VERSION +
             " (spec.forceSelfUpdate: true rolls the agents first)";
    }
    if (!view.pressure.empty()) return "the node reports " + Join(view.pressure);
    return "";
  }

  void Cordon(NodeResult& r, const NodeView& node) {
    const NodeView* view = &node;
    const bool recovered = view->unschedulable && !view->cordoned_by.empty();
    Enter(r, NodePhase::kCordoned);
    Event("Normal", "NodeUpdateStarted", r.name + ": cordoning");
    if (!view->unschedulable || recovered) Act(ActionType::kCordon, r.name, RunIdentity(run_));
  }

  void StepNode(NodeResult& r) {
    const NodeView* view = Find(r.name);
    if (view == nullptr) {
      FailNode(r, nullptr, "node no longer exists (deleted while being updated)");
      return;
    }
    switch (r.phase) {
      case NodePhase::kCordoned:
        if (!view->unschedulable) {
          Act(ActionType::kCordon, r.name, RunIdentity(run_));
          return;
        }
        if (run_.spec.drain == crd::DrainMode::kSkip) {
          // ForcePauseNoDrain: cordon only; the pods stay where they are.
          StartAttempt(r);
          return;
        }
        Enter(r, NodePhase::kDraining);
        [[fallthrough]];
      case NodePhase::kDraining:
        StepDraining(r, *view);
        return;
      case NodePhase::kUpdating:
        StepUpdating(r, *view);
        return;
      case NodePhase::kScanning:
        StepScanning(r, *view);
        return;
      case NodePhase::kPreUpdateHook:
      case NodePhase::kPostUpdateHook:
        StepHook(r, *view);
        return;
      case NodePhase::kRebooting:
        if (!view->boot_id.empty() && view->boot_id != r.boot_id_before && view->ready) {
          r.rebooted = true;
          Enter(r, NodePhase::kVerifying);
          StepVerifying(r, *view);
          return;
        }
        WaitOrTimeOut(r, *view, "did not come back from its reboot");
        return;
      case NodePhase::kVerifying:
        StepVerifying(r, *view);
        return;
      case NodePhase::kUncordoned:
        if (r.restore_to) WithdrawUnanswered(r, *view);
        if (r.was_unschedulable || !view->unschedulable) {
          Finish(r);
          return;
        }
        Act(ActionType::kUncordon, r.name);
        return;
      default:
        // An in-flight phase this version does not know (written by a newer controller):
        // a failure rather than a spin.
        FailNode(r, view, std::string("unexpected phase ") + crd::NodePhaseName(r.phase));
        return;
    }
  }

  // Evictions are refused (429) while a PodDisruptionBudget would break; those refusals are
  // retried for drainTimeoutMinutes without counting as update attempts (the cmdlet's
  // SuspendClusterNodeTimeoutMinutes). Then drain Normal gives the node up (uncordoned, failed)
  // and drain Force deletes what is left (ForcePauseAndDrain).
  void StepDraining(NodeResult& r, const NodeView& view) {
    if (view.evictable_pods == 0) {
      StartAttempt(r);
      return;
    }
    const auto& spec = run_.spec;
    const bool force = spec.drain == crd::DrainMode::kForce;
    NoteUnmanagedPods(r, view, force);
    const Duration waited = Elapsed(r.phase_time);
    if (spec.drain_timeout_minutes || force) {
      const Duration timeout = std::chrono::minutes(spec.drain_timeout_minutes.value_or(0));
      const std::string left = std::to_string(view.evictable_pods) + " pod(s) left";
      if (waited >= timeout && force) {
        if (waited == timeout || r.message.empty()) {
          r.message = "drain Force: deleting pods a PodDisruptionBudget still protects";
          Event("Warning", "DrainForced",
                r.name + ": " + left + " after " + Minutes(spec.drain_timeout_minutes.value_or(0)) +
                    "; deleting them (drain Force)");
        }
        Act(ActionType::kForceDrain, r.name);
        Requeue(kDrainPollInterval);
        return;
      }
      if (waited >= timeout) {
        BeginRestore(r, NodePhase::kFailed,
                     "drain did not finish within drainTimeoutMinutes=" +
                         std::to_string(*spec.drain_timeout_minutes) + " (" + left +
                         ", evictions refused by a PodDisruptionBudget)");
        return;
      }
      Requeue(std::min<Duration>(kDrainPollInterval, timeout - waited));
    } else {
      Requeue(kDrainPollInterval);
    }
    Act(ActionType::kDrain, r.name);
  }

  // Pods without a controller are lost once evicted. Without drain: Force they are left, so
  // the drain waits (and, with drainTimeoutMinutes, gives the node up); with it they are
  // evicted. Either way the node's message names them, and an Event says it once.
  void NoteUnmanagedPods(NodeResult& r, const NodeView& view, bool force) {
    if (view.unmanaged_pods.empty()) return;
    const std::string pods = JoinSome(view.unmanaged_pods);
    const std::string message =
        force
            ? "drain Force: evicting pod(s) without a controller, which nothing recreates: " + pods
            : "drain blocked by pod(s) without a controller: " + pods +
                  " (evicted they would be lost, so kubectl drain refuses them without "
                  "--force): delete or move them, or set spec.drain: Force";
    if (r.message == message) return;
    r.message = message;
    Event("Warning", force ? "UnmanagedPodsEvicted" : "UnmanagedPodsBlockDrain",
          r.name + ": " + message);
  }

  void StepUpdating(NodeResult& r, const NodeView& view) {
    const auto& result = view.agent_result;
    if (!result || result->token != r.request_token) {
      if (AgentTimedOut(r)) {
        AgentSilent(r, view);
        return;
      }
      // The agent has not taken this attempt's request yet: (re)write it in case the write
      // was lost when the controller stopped between status and action.
      if (view.request_token != r.request_token) {
        d_.actions.push_back(UpdateRequest(r));
      }
      RequeueForAgent(r);
      return;
    }
    switch (result->state) {
      case agent::AgentState::kInstalling:
        if (!result->staged.empty() && !r.staged) {
          // Downloaded and ready to install (CAU's UpdateStagingResult); once per round.
          r.staged = true;
          Event("Normal", "UpdatesStaged",
                r.name + ": " + std::to_string(result->staged.size()) +
                    " staged: " + JoinSome(result->staged));
        }
        Requeue(kAgentPollInterval);
        return;
      case agent::AgentState::kInstalled:
        r.updates_installed += result->updates_installed;  // summed over the rounds
        if (!result->titles.empty()) {
          // The titles go to an Event, not to status (5,000 nodes × titles would not fit).
          Event("Normal", "UpdatesInstalled",
                r.name + ": " + std::to_string(result->titles.size()) +
                    " installed: " + JoinSome(result->titles));
        }
        if (result->reboot_required) {
          // As the agent did it, with its reason when that is not what was asked (a soft
          // reboot that fell back to a full one).
          r.reboot_kind =
              result->reboot_kind + (result->message.empty() ? "" : " (" + result->message + ")");
          Enter(r, NodePhase::kRebooting);
          // The node may already be back (a fast reboot between two passes).
          StepNode(r);
          return;
        }
        Enter(r, NodePhase::kVerifying);
        StepVerifying(r, view);
        return;
      case agent::AgentState::kFailed: {
        const std::string why = "update attempt " + std::to_string(r.attempts) + " of " +
                                std::to_string(MaxAttempts()) + " failed: " + result->message;
        if (r.attempts >= MaxAttempts()) {
          FailNode(r, &view, why);
          return;
        }
        Event("Warning", "NodeUpdateRetry", r.name + ": " + why + "; retrying");
        StartAttempt(r);
        return;
      }
      case agent::AgentState::kScanned:
        // A scan answer to an install request: the agent did not install anything.
        FailNode(r, &view, "the agent only scanned; nothing was installed");
        return;
    }
  }

  // PreUpdateScript / PostUpdateScript: the agent runs the ConfigMap's script on the node.
  // A run of the pre hook begins an attempt (maxRetriesPerNode counts hooks and updates);
  // a post hook retried counts one too. The token ties the answer to this run of it.
  void StartHook(NodeResult& r, NodePhase phase, bool new_attempt = true) {
    if (new_attempt) r.attempts += 1;
    Enter(r, phase);
    NodeAction a{ActionType::kRunHook, r.name, HookToken(r)};
    a.hook = phase == NodePhase::kPreUpdateHook ? "pre" : "post";
    d_.actions.push_back(a);
    Requeue(kHookPollInterval);
  }

  std::string HookToken(const NodeResult& r) const {
    return RequestToken(run_, r.name, r.attempts) +
           (r.phase == NodePhase::kPreUpdateHook ? "/pre" : "/post");
  }

  void StepHook(NodeResult& r, const NodeView& view) {
    const bool pre = r.phase == NodePhase::kPreUpdateHook;
    const crd::HookSpec& spec = pre ? *run_.spec.pre_update_hook : *run_.spec.post_update_hook;
    const std::string token = HookToken(r);
    const auto& result = view.hook_result;
    std::string why;
    if (!result || result->token != token || result->running) {
      const Duration timeout =
          std::chrono::seconds(spec.timeout_seconds.value_or(kDefaultHookTimeoutSeconds));
      const Duration waited = Elapsed(r.phase_time);
      if (waited < timeout) {
        if (view.hook_request_token != token) {
          NodeAction a{ActionType::kRunHook, r.name, token};
          a.hook = pre ? "pre" : "post";
          d_.actions.push_back(a);
        }
        Requeue(std::min<Duration>(kHookPollInterval, timeout - waited));
        return;
      }
      why = "did not finish within " +
            std::to_string(spec.timeout_seconds.value_or(kDefaultHookTimeoutSeconds)) + " s";
    } else if (result->succeeded) {
      if (pre) {
        Cordon(r, view);
        return;
      }
      Succeed(r);
      return;
    } else {
      why = "failed: " + result->message;
    }
    const std::string what = std::string(pre ? "preUpdateHook" : "postUpdateHook") + " " + why;
    if (r.attempts < MaxAttempts()) {
      Event("Warning", "NodeHookRetry", r.name + ": " + what + "; retrying");
      StartHook(r, r.phase);
      return;
    }
    FailNode(r, &view,
             what + (pre ? "; the node was not updated"
                         : "; the node was updated and is back in service"));
  }

  // After a successful update (uncordoned, or left cordoned by NoFailback): the post hook,
  // if there is one, then the node has succeeded.
  void AfterUpdate(NodeResult& r) {
    if (run_.spec.failback_mode == crd::FailbackMode::kPolicy && !r.was_unschedulable) {
      // Policy: the workloads that ask for it (label kcau.io/failback=true) may come back.
      Act(ActionType::kFailback, r.name);
    }
    if (run_.spec.post_update_hook) {
      StartHook(r, NodePhase::kPostUpdateHook, /*new_attempt=*/false);  // the update's own
      return;
    }
    Succeed(r);
  }

  // The agent reports what applies; the node is not cordoned, drained, changed or rebooted.
  // Invoke-CauScan (mode Scan): each scan is an attempt. In an update run, the scan before a
  // node is taken belongs to the attempt it precedes and uses it up only when it fails
  // (ScanFailed), so a node's attempts still count its updates.
  void StartScan(NodeResult& r) {
    if (Scanning()) r.attempts += 1;
    r.request_token =
        RequestToken(run_, r.name, r.attempts + (Scanning() ? 0 : 1)) + kScanTokenSuffix;
    Enter(r, NodePhase::kScanning);
    d_.actions.push_back(ScanRequest(r));
    Requeue(kAgentPollInterval);
  }

  // A scan before the update that failed uses up the attempt it was for.
  void ScanFailed(NodeResult& r) {
    if (!Scanning()) r.attempts += 1;
  }

  NodeAction ScanRequest(const NodeResult& r) const {
    NodeAction a{ActionType::kRequestUpdate, r.name, r.request_token};
    a.scan = true;
    return a;
  }

  void StepScanning(NodeResult& r, const NodeView& view) {
    const auto& result = view.agent_result;
    if (!result || result->token != r.request_token) {
      if (AgentTimedOut(r)) {
        AgentSilent(r, view);
        return;
      }
      if (view.request_token != r.request_token) d_.actions.push_back(ScanRequest(r));
      RequeueForAgent(r);
      return;
    }
    if (result->state == agent::AgentState::kInstalling) {  // taken: it answered
      Requeue(kAgentPollInterval);
      return;
    }
    if (result->state == agent::AgentState::kScanned && !Scanning()) {
      if (result->updates_found == 0) {
        NothingToInstall(r, view);
        return;
      }
      // Admit takes it when its turn comes (in this very pass, often).
      r.message = std::to_string(result->updates_found) + " updates apply; waiting for its turn";
      return;
    }
    if (result->state == agent::AgentState::kScanned) {
      r.updates_found = result->updates_found;
      if (!result->titles.empty()) {
        Event("Normal", "UpdatesFound",
              r.name + ": " + std::to_string(result->titles.size()) +
                  " apply: " + JoinSome(result->titles));
      }
      Enter(r, NodePhase::kSucceeded);
      r.finish_time = now_;
      r.message = std::to_string(r.updates_found) + " updates apply (scan: nothing changed)";
      Event("Normal", "NodeScanned", r.name + ": " + r.message);
      return;
    }
    if (result->state == agent::AgentState::kFailed) ScanFailed(r);
    const std::string why =
        result->state == agent::AgentState::kFailed
            ? "scan attempt " + std::to_string(r.attempts) + " of " +
                  std::to_string(MaxAttempts()) + " failed: " + result->message
            : std::string("the agent installed instead of scanning (does it know scan mode?)");
    if (result->state == agent::AgentState::kFailed && r.attempts < MaxAttempts()) {
      Event("Warning", "NodeScanRetry", r.name + ": " + why + "; retrying");
      StartScan(r);
      return;
    }
    FailNode(r, &view, why);
  }

  // kured and FLUO disrupt only the nodes that need it: a node with nothing to install is
  // not cordoned, drained or rebooted.
  void NothingToInstall(NodeResult& r, const NodeView& view) {
    if (view.unschedulable && !r.was_unschedulable) {
      // A cordon an earlier kcau run left here (taken over with forceRecovery): released.
      BeginRestore(r, NodePhase::kSkipped, crd::kNoUpdatesApply);
      return;
    }
    Enter(r, NodePhase::kSkipped);
    r.finish_time = now_;
    r.message = crd::kNoUpdatesApply;
    Event("Normal", "NodeSkipped",
          r.name + ": " + crd::kNoUpdatesApply + ": not cordoned, drained or rebooted");
  }

  // An agent that has written no result at all for this request within agentTimeoutMinutes
  // (none runs there, it crashed, it hangs) fails the attempt, which is retried within
  // maxRetriesPerNode. Then the node fails: its request is withdrawn and, if the run had
  // cordoned it, it is uncordoned, so no node stays drained waiting for an agent.
  bool AgentTimedOut(const NodeResult& r) const { return Elapsed(r.phase_time) >= AgentTimeout(); }
  void RequeueForAgent(const NodeResult& r) {
    Requeue(std::min<Duration>(kAgentPollInterval, AgentTimeout() - Elapsed(r.phase_time)));
  }
  void AgentSilent(NodeResult& r, const NodeView& view) {
    const bool scan = r.phase == NodePhase::kScanning;
    if (scan) ScanFailed(r);
    const std::string why =
        "no answer from kcau-agent: " + std::string(scan ? "scan" : "update") + " request " +
        r.request_token + " got no result within agentTimeoutMinutes=" +
        std::to_string(run_.spec.agent_timeout_minutes.value_or(kDefaultAgentTimeoutMinutes)) +
        " (attempt " + std::to_string(r.attempts) + " of " + std::to_string(MaxAttempts()) + ")";
    if (r.attempts < MaxAttempts()) {
      Event("Warning", scan ? "NodeScanRetry" : "NodeUpdateRetry",
            r.name + ": " + why + "; retrying");
      if (scan) {
        StartScan(r);
      } else {
        StartAttempt(r);
      }
      return;
    }
    if (scan) {  // asked before the node was taken: nothing to undo
      WithdrawUnanswered(r, view);
      FailNode(r, &view, why + "; the node was not cordoned");
      return;
    }
    BeginRestore(r, NodePhase::kFailed, why);
  }

  // A request the run gives up on while no answer came is taken back: an agent that wakes
  // up later must not install and reboot a node that is back in service.
  void WithdrawUnanswered(const NodeResult& r, const NodeView& view) {
    if (r.request_token.empty() || view.request_token != r.request_token) return;
    if (view.agent_result && view.agent_result->token == r.request_token) return;  // answered
    Act(ActionType::kWithdrawRequest, r.name, r.request_token);
  }

  void StepVerifying(NodeResult& r, const NodeView& view) {
    if (!view.ready) {
      WaitOrTimeOut(r, view, "is not Ready after its update");
      return;
    }
    if (AnotherRound(r, view)) {
      StartRound(r, view);
      return;
    }
    if (run_.spec.failback_mode == crd::FailbackMode::kNoFailback) {
      // NoFailback: the operator brings the node back; the run does not wait for that.
      AfterUpdate(r);
      return;
    }
    Enter(r, NodePhase::kUncordoned);
    if (!r.was_unschedulable && view.unschedulable) {
      Act(ActionType::kUncordon, r.name);
      return;
    }
    AfterUpdate(r);
  }

  void StartAttempt(NodeResult& r) {
    // An attempt a pre-update hook began goes on into its update; any later one is new.
    // (The request before it is the node's scan, or none.)
    const bool begun_by_hook =
        run_.spec.pre_update_hook && (r.request_token.empty() || IsScanToken(r.request_token));
    if (!begun_by_hook) r.attempts += 1;
    r.round = 1;
    r.message.clear();
    RequestRound(r);
  }

  // Another round of the same attempt: the next plug-in (separateReboots), or a re-scan
  // after a reboot. The boot ID is taken again so the round's own reboot is recognised.
  void StartRound(NodeResult& r, const NodeView& view) {
    r.round += 1;
    r.boot_id_before = view.boot_id;
    RequestRound(r);
  }

  void RequestRound(NodeResult& r) {
    r.staged = false;
    r.request_token = RequestToken(run_, r.name, r.attempts, r.round);
    Enter(r, NodePhase::kUpdating);
    d_.actions.push_back(UpdateRequest(r));
    Requeue(kAgentPollInterval);
  }

  // forceReboot: the first round of an attempt reboots whatever it finds; the re-scan after
  // that reboot does not force another.
  NodeAction UpdateRequest(const NodeResult& r) const {
    NodeAction a{ActionType::kRequestUpdate, r.name, r.request_token, PluginOfRound(r.round)};
    a.force_reboot = run_.spec.force_reboot.value_or(false) && r.round <= 1;
    return a;
  }

  // separateReboots: round k runs plug-in k alone; every other round runs them all.
  int PluginOfRound(int round) const {
    const int plugins = static_cast<int>(run_.spec.plugins.size());
    return run_.spec.separate_reboots.value_or(false) && round <= plugins ? round - 1 : -1;
  }
  int PlannedRounds() const {
    return run_.spec.separate_reboots.value_or(false)
               ? std::max<int>(1, static_cast<int>(run_.spec.plugins.size()))
               : 1;
  }
  // After a round, on a node back and Ready: is another round due?
  bool AnotherRound(const NodeResult& r, const NodeView& view) const {
    if (r.round < PlannedRounds()) return true;
    const bool rebooted_this_round = view.boot_id != r.boot_id_before;
    return rebooted_this_round && r.round < PlannedRounds() + kMaxRescanRounds;
  }

  void WaitOrTimeOut(NodeResult& r, const NodeView& view, const std::string& what) {
    const Duration waited = Elapsed(r.phase_time);
    if (waited >= RebootTimeout()) {
      const int minutes = run_.spec.reboot_timeout_minutes.value_or(kDefaultRebootTimeoutMinutes);
      std::string state =
          std::string("Ready=") + (view.ready ? "True" : "False") +
          (view.boot_id == r.boot_id_before ? ", boot ID unchanged" : ", boot ID changed");
      FailNode(
          r, &view,
          what + " within rebootTimeoutMinutes=" + std::to_string(minutes) + " (" + state + ")");
      return;
    }
    Requeue(std::min<Duration>(kRebootPollInterval, RebootTimeout() - waited));
  }

  // Brings a node that will not be (fully) updated back into service: uncordoned (unless an
  // admin had cordoned it), then it ends in `to` with `why` as its message.
  void BeginRestore(NodeResult& r, NodePhase to, const std::string& why) {
    r.restore_to = to;
    r.message = why;
    Enter(r, NodePhase::kUncordoned);
    const NodeView* view = Find(r.name);
    if (view != nullptr) WithdrawUnanswered(r, *view);
    if (view != nullptr && view->unschedulable && !r.was_unschedulable) {
      Act(ActionType::kUncordon, r.name);
      return;
    }
    Finish(r);
  }

  // The node is uncordoned (or was meant to stay cordoned): it ends.
  void Finish(NodeResult& r) {
    if (!r.restore_to) {
      AfterUpdate(r);
      return;
    }
    const NodePhase to = *r.restore_to;
    r.restore_to.reset();
    Enter(r, to);
    r.finish_time = now_;
    r.message += r.was_unschedulable ? "; left cordoned as it was before the run"
                                     : "; uncordoned, back in service";
    Event("Warning", to == NodePhase::kFailed ? "NodeFailed" : "NodeSkipped",
          r.name + ": " + r.message);
  }

  void Succeed(NodeResult& r) {
    Enter(r, NodePhase::kSucceeded);
    r.finish_time = now_;
    const bool left_cordoned =
        run_.spec.failback_mode == crd::FailbackMode::kNoFailback && !r.was_unschedulable;
    r.message = crd::NodeSucceededMessage(r.updates_installed, r.rebooted) +
                (r.rebooted && r.reboot_kind.rfind("soft", 0) == 0 ? " (soft reboot)" : "") +
                (r.was_unschedulable ? "; left cordoned as it was before the run" : "") +
                (left_cordoned ? "; left cordoned (failbackMode NoFailback): kubectl uncordon " +
                                     r.name + " releases it"
                               : "");
    Event("Normal", "NodeUpdated", r.name + ": " + r.message);
  }

  void FailNode(NodeResult& r, const NodeView* view, const std::string& why) {
    Enter(r, NodePhase::kFailed);
    r.finish_time = now_;
    r.message = why;
    if (view != nullptr && view->unschedulable && !r.was_unschedulable) {
      r.message +=
          "; node left cordoned for inspection (kubectl uncordon " + r.name + " releases it)";
    }
    Event("Warning", "NodeFailed", r.name + ": " + r.message);
  }

  // How the run ends once every node is done. A run that updated no node ends Failed
  // (NoNodeUpdated) when a node could not be updated (skipped for any reason but "no updates
  // apply", or failed), whatever the failure budget says: "0 of 3 nodes updated" is not a
  // success. A run whose every node simply had nothing to install succeeds
  // (NothingToUpdate).
  void Complete(const std::vector<std::string>& failed) {
    std::vector<std::string> up_to_date, could_not;  // could_not: "node: why"
    for (const auto& r : d_.status.nodes) {
      if (r.phase == NodePhase::kSkipped && r.message.rfind(crd::kNoUpdatesApply, 0) == 0) {
        up_to_date.push_back(r.name);
      } else if (r.phase == NodePhase::kSkipped || r.phase == NodePhase::kFailed) {
        could_not.push_back(r.name + ": " + r.message);
      }
    }
    const auto succeeded = NodesIn(NodePhase::kSucceeded);
    const std::string total = std::to_string(d_.status.nodes_total);
    if (succeeded.empty() && !could_not.empty()) {
      EndRun(RunPhase::kFailed, Scanning() ? "NoNodeScanned" : "NoNodeUpdated",
             std::string("none of the ") + total + " nodes was " +
                 (Scanning() ? "scanned" : "updated") +
                 (up_to_date.empty()
                      ? ""
                      : " (" + std::to_string(up_to_date.size()) + " had no updates to install)") +
                 "; " + JoinSome(could_not, "; "));
      return;
    }
    if (!Scanning() && failed.empty() && succeeded.empty()) {
      EndRun(RunPhase::kSucceeded, "NothingToUpdate",
             "no updates apply on any of the " + total + " nodes: nothing was changed");
      return;
    }
    if (Scanning() && failed.empty()) {
      int updates = 0;
      std::vector<std::string> with_updates;
      for (const auto& r : d_.status.nodes) {
        updates += r.updates_found;
        if (r.updates_found > 0) with_updates.push_back(r.name);
      }
      EndRun(RunPhase::kSucceeded, "ScanCompleted",
             std::to_string(d_.status.nodes_total) + " nodes scanned: " + std::to_string(updates) +
                 " updates apply on " + std::to_string(with_updates.size()) + " node(s)" +
                 (with_updates.empty() ? "" : " (" + JoinSome(with_updates) + ")") +
                 "; nothing was changed");
      return;
    }
    if (failed.empty()) {
      std::vector<std::string> skipped;
      for (const auto& entry : could_not) skipped.push_back(entry.substr(0, entry.find(':')));
      const bool all = up_to_date.empty() && skipped.empty();
      EndRun(RunPhase::kSucceeded, "Completed",
             (all ? "all " : "") + std::to_string(succeeded.size()) + (all ? "" : " of " + total) +
                 " nodes updated" +
                 (up_to_date.empty()
                      ? ""
                      : "; " + std::string(crd::kNoUpdatesApply) + " on " + JoinSome(up_to_date)) +
                 (skipped.empty() ? "" : "; skipped: " + JoinSome(skipped)));
      return;
    }
    auto& st = d_.status;
    SetCondition(st.conditions, crd::kConditionWarning, "True", "NodesFailed",
                 "failed within the failure budget: " + JoinSome(failed), run_.generation, now_);
    EndRun(RunPhase::kSucceeded, "CompletedWithFailures",
           std::to_string(failed.size()) + " node(s) failed within maxFailedNodes=" +
               std::to_string(FailureBudget()) + ": " + JoinSome(failed));
  }

  void EndRun(RunPhase phase, const std::string& reason, const std::string& message) {
    auto& st = d_.status;
    const bool ok = phase == RunPhase::kSucceeded;
    st.phase = phase;
    st.completion_time = now_;
    const int64_t g = run_.generation;
    SetCondition(st.conditions, crd::kConditionProgressing, "False", reason, message, g, now_);
    SetCondition(st.conditions, crd::kConditionSucceeded, ok ? "True" : "False", reason, message, g,
                 now_);
    SetCondition(st.conditions, crd::kConditionFailed, ok ? "False" : "True", reason, message, g,
                 now_);
    Event(ok ? "Normal" : "Warning", ok ? "RunSucceeded" : "RunFailed", reason + ": " + message);
    d_.terminal = true;
    d_.requeue_after.reset();
  }

  void Recount() {
    auto& st = d_.status;
    st.nodes_succeeded = static_cast<int>(NodesIn(NodePhase::kSucceeded).size());
    st.nodes_failed = static_cast<int>(NodesIn(NodePhase::kFailed).size());
  }

  std::vector<std::string> NodesIn(NodePhase phase) const {
    std::vector<std::string> names;
    for (const auto& r : d_.status.nodes) {
      if (r.phase == phase) names.push_back(r.name);
    }
    return names;
  }

  // Every change of a node's phase is also an Event (CAU's NodeStatusNotification), so an
  // event exporter or `kubectl get events` follows each node through the state machine.
  void Enter(NodeResult& r, NodePhase phase) {
    if (r.phase != phase) {
      Event("Normal", "NodeStatusNotification", r.name + ": " + crd::NodePhaseName(phase));
    }
    r.phase = phase;
    r.phase_time = now_;
  }
  void Act(ActionType type, const std::string& node, const std::string& token = "") {
    d_.actions.push_back(NodeAction{type, node, token});
  }
  void Event(const std::string& type, const std::string& reason, const std::string& message) {
    d_.events.push_back(RunEvent{type, reason, message});
  }
  void Requeue(Duration d) {
    if (!d_.requeue_after || d < *d_.requeue_after) d_.requeue_after = d;
  }
  const NodeView* Find(const std::string& name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
  }

  int FailureBudget() const {
    return run_.spec.max_failed_nodes.value_or(crd::DefaultMaxFailedNodes(d_.status.nodes_total));
  }
  int MaxAttempts() const {
    // MaxRetriesPerNode counts retries: the first attempt plus that many more.
    return 1 + run_.spec.max_retries_per_node.value_or(crd::DefaultMaxRetriesPerNode());
  }
  int MaxInFlight() const { return MaxUnavailable(run_.spec, d_.status.nodes_total); }
  bool SiteAware() const { return !run_.spec.site_aware_updating_order.empty(); }
  bool Scanning() const { return run_.spec.mode == crd::RunMode::kScan; }
  Duration RebootTimeout() const {
    return std::chrono::minutes(
        run_.spec.reboot_timeout_minutes.value_or(kDefaultRebootTimeoutMinutes));
  }
  Duration AgentTimeout() const {
    return std::chrono::minutes(
        run_.spec.agent_timeout_minutes.value_or(kDefaultAgentTimeoutMinutes));
  }

  const crd::UpdateRun& run_;
  // How long ago a status timestamp was: every timeout is measured with it, never as now_
  // minus the timestamp (see ElapsedFn).
  Duration Elapsed(std::optional<TimePoint> then) const {
    return then ? elapsed_(*then) : Duration::zero();
  }

  const TimePoint now_;
  const ElapsedFn& elapsed_;
  const std::vector<NodeView>* all_nodes_ = nullptr;
  std::map<std::string, const NodeView*> by_name_;
  RolloutDecision d_;
};

}  // namespace

RolloutDecision PlanRollout(const crd::UpdateRun& run, const std::vector<NodeView>& nodes,
                            TimePoint now, const ElapsedFn& elapsed) {
  return Pass(run, nodes, now, elapsed).Run();
}

RolloutDecision PlanRollout(const crd::UpdateRun& run, const std::vector<NodeView>& nodes,
                            TimePoint now) {
  const ElapsedFn by_wall_clock = [now](TimePoint then) {
    return std::chrono::duration_cast<Duration>(now - then);
  };
  return PlanRollout(run, nodes, now, by_wall_clock);
}

PodCountNeeds PodCountsNeeded(const crd::UpdateRun& run) {
  PodCountNeeds needs;
  const auto phase = run.status.phase;
  if (phase == RunPhase::kSucceeded || phase == RunPhase::kFailed) return needs;
  if (run.status.plan.empty()) {
    needs.all = true;
    return needs;
  }
  for (const auto& r : run.status.nodes) {
    if (r.phase == NodePhase::kCordoned || r.phase == NodePhase::kDraining) {
      needs.nodes.push_back(r.name);
    }
  }
  return needs;
}

std::string RunIdentity(const crd::UpdateRun& run) {
  return run.name + "/" + (run.uid.empty() ? "-" : run.uid);
}

std::string RequestToken(const crd::UpdateRun& run, const std::string& node, int attempt,
                         int round) {
  return run.name + "/" + (run.uid.empty() ? "-" : run.uid) + "/" + node + "/" +
         std::to_string(attempt) + (round > 1 ? "/" + std::to_string(round) : "");
}

}  // namespace kcau::reconcilers
