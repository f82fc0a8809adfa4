// How a run ends, and the clock that may end it: warnAfter warns, StopRun brings the nodes
// not yet updating back and lets the others finish, CompleteRun judges a run whose every
// node is done, and EndRun writes the ending (phase, conditions, Event). Pure.
#include "crd/duration.h"
#include "reconcilers/planner/pass.h"
#include "reconcilers/planner/planner_messages.h"

namespace kcau::reconcilers::planner {

using crd::NodePhase;
using crd::RunPhase;

// warnAfter: a Warning condition and an Event, once; both timers ask for a wake-up.
void Pass::WatchTheClock() {
  const auto& spec = run_.spec;
  const Duration elapsed = Elapsed(d_.status.start_time);
  if (spec.warn_after) {
    if (elapsed >= *spec.warn_after) {
      const crd::Condition* w = FindCondition(d_.status.conditions, crd::kConditionWarning);
      if (w == nullptr || w->reason != "WarnAfterExceeded") {
        const std::string m =
            "the run has taken longer than warnAfter " + crd::FormatDuration(*spec.warn_after);
        SetRunCondition(crd::kConditionWarning, ConditionStatus::kTrue, "WarnAfterExceeded", m);
        Event(RunEvent::Warning("WarnAfterExceeded", m));
      }
    } else {
      Requeue(*spec.warn_after - elapsed);
    }
  }
  if (spec.stop_after && elapsed < *spec.stop_after) Requeue(*spec.stop_after - elapsed);
}

// No new node starts; nodes not yet updating are brought back; the rest finish. The run
// ends when nothing is in flight.
void Pass::StopRun(const std::string& reason, const std::string& why) {
  auto& st = d_.status;
  int skipped = 0;
  for (auto& r : st.nodes) {
    if (r.phase == NodePhase::kPending || PreScanning(r)) {  // scanned, never taken
      Enter(r, NodePhase::kSkipped);
      r.message = "not started: " + why;
      ++skipped;
    } else if (InFlight(r.phase) && !r.restore_to && BeforeUpdate(r.phase)) {
      RestoreNode(r, NodePhase::kSkipped, "not updated: " + why);
    }
  }
  if (skipped > 0) {
    Event(RunEvent::Warning("RunStopping",
                            why + "; " + std::to_string(skipped) + " node(s) will not be started"));
  }
  std::vector<std::string> busy;
  for (const auto& r : st.nodes) {
    if (InFlight(r.phase)) busy.push_back(r.name);
  }
  if (!busy.empty()) {
    SetRunCondition(crd::kConditionProgressing, ConditionStatus::kTrue, "Stopping",
                    why + "; waiting for nodes in flight: " + JoinSome(busy));
    return;
  }
  const auto not_started = NodesIn(NodePhase::kSkipped);
  EndRun(RunPhase::kFailed, reason,
         StoppedMessage(why, st.nodes_total - static_cast<int>(not_started.size()),
                        not_started.size()));
}

// How the run ends once every node is done. A run that updated no node ends Failed
// (NoNodeUpdated) when a node could not be updated (skipped for any reason but "no updates
// apply", or failed), whatever the failure budget says: "0 of 3 nodes updated" is not a
// success. A run whose every node simply had nothing to install succeeds
// (NothingToUpdate).
void Pass::CompleteRun(const std::vector<std::string>& failed) {
  std::vector<std::string> up_to_date, could_not;  // could_not: "node: why"
  for (const auto& r : d_.status.nodes) {
    if (r.phase == NodePhase::kSkipped && r.message.rfind(crd::kNoUpdatesApply, 0) == 0) {
      up_to_date.push_back(r.name);
    } else if (r.phase == NodePhase::kSkipped || r.phase == NodePhase::kFailed) {
      could_not.push_back(r.name + ": " + r.message);
    }
  }
  const auto succeeded = NodesIn(NodePhase::kSucceeded);
  const int total = d_.status.nodes_total;
  if (succeeded.empty() && !could_not.empty()) {
    EndRun(RunPhase::kFailed, Scanning() ? "NoNodeScanned" : "NoNodeUpdated",
           NoNodeDoneMessage(Scanning(), total, up_to_date.size(), could_not));
    return;
  }
  if (!Scanning() && failed.empty() && succeeded.empty()) {
    EndRun(RunPhase::kSucceeded, "NothingToUpdate", NothingToUpdateMessage(total));
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
           ScanCompletedMessage(total, updates, with_updates));
    return;
  }
  if (failed.empty()) {
    std::vector<std::string> skipped;
    for (const auto& entry : could_not) skipped.push_back(entry.substr(0, entry.find(':')));
    EndRun(RunPhase::kSucceeded, "Completed",
           CompletedMessage(succeeded.size(), total, up_to_date, skipped));
    return;
  }
  SetRunCondition(crd::kConditionWarning, ConditionStatus::kTrue, "NodesFailed",
                  "failed within the failure budget: " + JoinSome(failed));
  EndRun(RunPhase::kSucceeded, "CompletedWithFailures",
         CompletedWithFailuresMessage(failed, FailureBudget()));
}

// The run has ended (or could not start): its phase, its three conditions, an Event, and
// no more wake-ups.
void Pass::EndRun(RunPhase phase, const std::string& reason, const std::string& message) {
  auto& st = d_.status;
  const bool ok = phase == RunPhase::kSucceeded;
  st.phase = phase;
  st.completion_time = now_;
  UnblockRun();
  const auto yes = ConditionStatus::kTrue;
  const auto no = ConditionStatus::kFalse;
  SetRunCondition(crd::kConditionProgressing, no, reason, message);
  SetRunCondition(crd::kConditionSucceeded, ok ? yes : no, reason, message);
  SetRunCondition(crd::kConditionFailed, ok ? no : yes, reason, message);
  Event(ok ? RunEvent::Normal("RunSucceeded", reason + ": " + message)
           : RunEvent::Warning("RunFailed", reason + ": " + message));
  d_.terminal = true;
  d_.requeue_after.reset();
}

}  // namespace kcau::reconcilers::planner
