// The pass itself: the order of its steps, its bookkeeping (phases entered, actions, Events,
// the next look) and what the spec says with its defaults applied (pass.h). Pure.
#include "reconcilers/planner/pass.h"

#include "crd/duration.h"
#include "crd/names.h"
#include "crd/validation.h"
#include "reconcilers/planner/planner_messages.h"

namespace kcau::reconcilers::planner {

using crd::NodePhase;
using crd::RunPhase;

bool InFlight(NodePhase p) {
  return p != NodePhase::kPending && p != NodePhase::kSucceeded && p != NodePhase::kFailed &&
         p != NodePhase::kSkipped;
}

bool BeforeUpdate(NodePhase p) {
  return p == NodePhase::kPreUpdateHook || p == NodePhase::kCordoned || p == NodePhase::kDraining;
}

Pass::Pass(const crd::UpdateRun& run, const std::vector<NodeView>& nodes, TimePoint now,
           const ElapsedFn& elapsed, std::string_view controller_version)
    : run_(run),
      now_(now),
      elapsed_(elapsed),
      controller_version_(controller_version),
      all_nodes_(nodes) {
  d_.status = run.status;
  d_.status.observed_generation = run.generation;
  by_name_.reserve(nodes.size());
  for (const auto& n : nodes) by_name_[n.name] = &n;
}

RolloutDecision Pass::Run() {
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
  ExpectUncordons();
  return std::move(d_);
}

// Every node in flight takes its step; then the run either stops (too many failures,
// deleted, spec.stop, stopAfter) or admits the next nodes.
void Pass::Step() {
  for (auto& r : d_.status.nodes) {
    if (InFlight(r.phase)) StepNode(r);
  }
  WatchTheClock();
  const std::vector<std::string> failed = NodesIn(NodePhase::kFailed);
  if (static_cast<int>(failed.size()) > FailureBudget()) {
    StopRun("TooManyFailedNodes", TooManyFailedMessage(failed, FailureBudget()));
    return;
  }
  if (run_.deleting) {
    StopRun("Deleted", "the run was deleted");
    return;
  }
  if (run_.spec.stop.value_or(false)) {
    StopRun("Cancelled", "cancelled by spec.stop");
    return;
  }
  if (run_.spec.stop_after && Elapsed(d_.status.start_time) >= *run_.spec.stop_after) {
    StopRun("StopAfterReached",
            "stopAfter " + crd::FormatDuration(*run_.spec.stop_after) + " reached");
    return;
  }
  Admit();
}

void Pass::Recount() {
  auto& st = d_.status;
  st.nodes_succeeded = static_cast<int>(NodesIn(NodePhase::kSucceeded).size());
  st.nodes_failed = static_cast<int>(NodesIn(NodePhase::kFailed).size());
}

std::vector<std::string> Pass::NodesIn(NodePhase phase) const {
  std::vector<std::string> names;
  for (const auto& r : d_.status.nodes) {
    if (r.phase == phase) names.push_back(r.name);
  }
  return names;
}

// Every change of a node's phase is also an Event (CAU's NodeStatusNotification), so an
// event exporter or `kubectl get events` follows each node through the state machine.
void Pass::Enter(NodeResult& r, NodePhase phase) {
  if (r.phase != phase) {
    UnblockNode(r);  // a block holds a node in one phase
    Event(RunEvent::Normal("NodeStatusNotification", r.name + ": " + crd::NodePhaseName(phase)));
  }
  r.phase = phase;
  r.phase_time = now_;
}

void Pass::Act(ActionType type, const std::string& node, const std::string& token) {
  d_.actions.push_back(NodeAction{type, node, token});
}

void Pass::Event(RunEvent event) { d_.events.push_back(std::move(event)); }

void Pass::Requeue(Duration d) {
  if (!d_.requeue_after || d < *d_.requeue_after) d_.requeue_after = d;
}

void Pass::SetRunCondition(const char* type, ConditionStatus status, const std::string& reason,
                           const std::string& message) {
  SetCondition(d_.status.conditions, type, status, reason, message, run_.generation, now_);
}

const NodeView* Pass::Find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

Duration Pass::Elapsed(std::optional<TimePoint> then) const {
  return then ? elapsed_(*then) : Duration::zero();
}

int Pass::FailureBudget() const {
  return run_.spec.max_failed_nodes.value_or(crd::DefaultMaxFailedNodes(d_.status.nodes_total));
}

int Pass::MaxAttempts() const {
  // MaxRetriesPerNode counts retries: the first attempt plus that many more.
  return 1 + run_.spec.max_retries_per_node.value_or(crd::DefaultMaxRetriesPerNode());
}

int Pass::MaxInFlight() const { return MaxUnavailable(run_.spec, d_.status.nodes_total); }

bool Pass::SiteAware() const { return !run_.spec.site_aware_updating_order.empty(); }

bool Pass::Scanning() const { return run_.spec.mode == crd::RunMode::kScan; }

Duration Pass::RebootTimeout() const {
  return std::chrono::minutes(
      run_.spec.reboot_timeout_minutes.value_or(kDefaultRebootTimeoutMinutes));
}

Duration Pass::AgentTimeout() const {
  return std::chrono::minutes(
      run_.spec.agent_timeout_minutes.value_or(kDefaultAgentTimeoutMinutes));
}

}  // namespace kcau::reconcilers::planner
