#include "reconcilers/rollout_planner.h"

#include <algorithm>
#include <map>

#include "crd/updaterun_codec.h"
#include "crd/validation.h"
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

// Everything one pass needs, so the step functions below stay short.
class Pass {
 public:
  Pass(const crd::UpdateRun& run, const std::vector<NodeView>& nodes, TimePoint now)
      : run_(run), now_(now) {
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
    if (!errors.empty()) {
      EndRun(RunPhase::kFailed, "Invalid", crd::FormatFieldErrors(errors));
      return false;
    }

    auto& st = d_.status;
    st.plan = OrderNodes(spec, selected);
    st.nodes.clear();
    for (const auto& name : st.plan) {
      NodeResult r;
      r.name = name;
      st.nodes.push_back(r);
    }
    st.nodes_total = static_cast<int>(st.nodes.size());
    st.phase = RunPhase::kRunning;
    st.start_time = now_;
    SetCondition(
        st.conditions, crd::kConditionProgressing, "True", "Started",
        "updating " + std::to_string(st.nodes_total) + " nodes one at a time: " + Join(st.plan),
        run_.generation, now_);
    SetCondition(st.conditions, crd::kConditionSucceeded, "False", "InProgress", "run in progress",
                 run_.generation, now_);
    SetCondition(st.conditions, crd::kConditionFailed, "False", "InProgress", "run in progress",
                 run_.generation, now_);
    Event("Normal", "RunStarted",
          "plan: " + Join(st.plan) + "; maxFailedNodes " + std::to_string(FailureBudget()));
    return true;
  }

  void Step() {
    auto& st = d_.status;
    // Each round either waits on the active node or finishes it and takes the next one, so
    // the loop is bounded by the number of nodes.
    for (size_t round = 0; round <= st.nodes.size() + 1; ++round) {
      NodeResult* active = nullptr;
      for (auto& r : st.nodes) {
        if (InFlight(r.phase)) {
          active = &r;
          break;
        }
      }
      if (active != nullptr) {
        StepNode(*active);
        if (InFlight(active->phase)) return;  // waiting on the world, or an action is out
        continue;
      }
      const std::vector<std::string> failed = NodesIn(NodePhase::kFailed);
      if (static_cast<int>(failed.size()) > FailureBudget()) {
        StopForFailures(failed);
        return;
      }
      NodeResult* next = nullptr;
      for (auto& r : st.nodes) {
        if (r.phase == NodePhase::kPending) {
          next = &r;
          break;
        }
      }
      if (next == nullptr) {
        Complete(failed);
        return;
      }
      StartNode(*next);
      return;
    }
  }

  void StartNode(NodeResult& r) {
    const NodeView* view = Find(r.name);
    if (view == nullptr) {
      FailNode(r, nullptr, "node no longer exists");
      return;
    }
    r.start_time = now_;
    r.boot_id_before = view->boot_id;
    // Recorded before the cordon so a restarted controller never uncordons a node an admin
    // had cordoned (kured keeps Unschedulable in its lock annotation for the same reason).
    r.was_unschedulable = view->unschedulable;
    Enter(r, NodePhase::kCordoned);
    Event("Normal", "NodeUpdateStarted", r.name + ": cordoning");
    if (!view->unschedulable) Act(ActionType::kCordon, r.name);
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
          Act(ActionType::kCordon, r.name);
          return;
        }
        Enter(r, NodePhase::kDraining);
        [[fallthrough]];
      case NodePhase::kDraining:
        if (view->evictable_pods != 0) {
          Act(ActionType::kDrain, r.name);
          Requeue(kDrainPollInterval);
          return;
        }
        StartAttempt(r);
        return;
      case NodePhase::kUpdating:
        StepUpdating(r, *view);
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
        if (r.was_unschedulable || !view->unschedulable) {
          Succeed(r);
          return;
        }
        Act(ActionType::kUncordon, r.name);
        return;
      default:
        // PreUpdateHook / PostUpdateHook are not reachable before hooks exist (issue #5);
        // treat an unknown in-flight phase as a failure rather than spin on it.
        FailNode(r, view, std::string("unexpected phase ") + crd::NodePhaseName(r.phase));
        return;
    }
  }

  void StepUpdating(NodeResult& r, const NodeView& view) {
    const auto& result = view.agent_result;
    if (!result || result->token != r.request_token) {
      // The agent has not taken this attempt's request yet: (re)write it in case the write
      // was lost when the controller stopped between status and action.
      if (view.request_token != r.request_token) {
        Act(ActionType::kRequestUpdate, r.name, r.request_token);
      }
      Requeue(kAgentPollInterval);
      return;
    }
    switch (result->state) {
      case agent::AgentState::kInstalling:
        Requeue(kAgentPollInterval);
        return;
      case agent::AgentState::kInstalled:
        r.updates_installed = result->updates_installed;
        if (result->reboot_required) {
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
    }
  }

  void StepVerifying(NodeResult& r, const NodeView& view) {
    if (!view.ready) {
      WaitOrTimeOut(r, view, "is not Ready after its update");
      return;
    }
    Enter(r, NodePhase::kUncordoned);
    if (!r.was_unschedulable && view.unschedulable) {
      Act(ActionType::kUncordon, r.name);
      return;
    }
    Succeed(r);
  }

  void StartAttempt(NodeResult& r) {
    r.attempts += 1;
    r.request_token = RequestToken(run_, r.name, r.attempts);
    Enter(r, NodePhase::kUpdating);
    Act(ActionType::kRequestUpdate, r.name, r.request_token);
    Requeue(kAgentPollInterval);
  }

  void WaitOrTimeOut(NodeResult& r, const NodeView& view, const std::string& what) {
    const TimePoint since = r.phase_time.value_or(now_);
    const Duration waited = std::chrono::duration_cast<Duration>(now_ - since);
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

  void Succeed(NodeResult& r) {
    Enter(r, NodePhase::kSucceeded);
    r.finish_time = now_;
    r.message = std::to_string(r.updates_installed) + " updates installed" +
                (r.rebooted ? ", rebooted" : ", no reboot needed") +
                (r.was_unschedulable ? "; left cordoned as it was before the run" : "");
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

  void StopForFailures(const std::vector<std::string>& failed) {
    int skipped = 0;
    for (auto& r : d_.status.nodes) {
      if (r.phase != NodePhase::kPending) continue;
      r.phase = NodePhase::kSkipped;
      r.message = "not started: the run stopped after too many failed nodes";
      ++skipped;
    }
    EndRun(RunPhase::kFailed, "TooManyFailedNodes",
           std::to_string(failed.size()) + " node(s) failed (" + Join(failed) +
               "), more than maxFailedNodes=" + std::to_string(FailureBudget()) + "; " +
               std::to_string(skipped) + " node(s) not started");
  }

  void Complete(const std::vector<std::string>& failed) {
    if (failed.empty()) {
      EndRun(RunPhase::kSucceeded, "Completed",
             "all " + std::to_string(d_.status.nodes_total) + " nodes updated");
      return;
    }
    auto& st = d_.status;
    SetCondition(st.conditions, crd::kConditionWarning, "True", "NodesFailed",
                 "failed within the failure budget: " + Join(failed), run_.generation, now_);
    EndRun(RunPhase::kSucceeded, "CompletedWithFailures",
           std::to_string(failed.size()) + " node(s) failed within maxFailedNodes=" +
               std::to_string(FailureBudget()) + ": " + Join(failed));
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

  void Enter(NodeResult& r, NodePhase phase) {
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
  Duration RebootTimeout() const {
    return std::chrono::minutes(
        run_.spec.reboot_timeout_minutes.value_or(kDefaultRebootTimeoutMinutes));
  }

  const crd::UpdateRun& run_;
  const TimePoint now_;
  const std::vector<NodeView>* all_nodes_ = nullptr;
  std::map<std::string, const NodeView*> by_name_;
  RolloutDecision d_;
};

}  // namespace

RolloutDecision PlanRollout(const crd::UpdateRun& run, const std::vector<NodeView>& nodes,
                            TimePoint now) {
  return Pass(run, nodes, now).Run();
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

std::string RequestToken(const crd::UpdateRun& run, const std::string& node, int attempt) {
  return run.name + "/" + (run.uid.empty() ? "-" : run.uid) + "/" + node + "/" +
         std::to_string(attempt);
}

}  // namespace kcau::reconcilers
