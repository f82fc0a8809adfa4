// Blocks a person must be able to see (crd::Blocked): a node whose drain a
// PodDisruptionBudget or a pod without a controller holds up, a run that quorum, the run
// lock, another run's cordon or its agents' update hold back. Each is said in status with
// what blocks and since when, and an Event marks when it starts and when it lifts; a block
// that goes on keeps its start time. Pure.
#include "crd/duration.h"
#include "reconcilers/planner/pass.h"
#include "reconcilers/planner/planner_messages.h"

namespace kcau::reconcilers::planner {

namespace {

// Starts a block, or refreshes the one going on (same reason: same start, newer message).
// True when it started now.
bool StartBlock(std::optional<crd::Blocked>& blocked, const std::string& reason,
                const std::string& message, TimePoint now) {
  if (blocked && blocked->reason == reason) {
    blocked->message = message;
    return false;
  }
  blocked = crd::Blocked{reason, message, now};
  return true;
}

}  // namespace

void Pass::BlockNode(NodeResult& r, const std::string& reason, const std::string& message,
                     bool announce) {
  if (StartBlock(r.blocked, reason, message, now_) && announce) {
    Event(RunEvent::Warning("NodeBlocked", r.name + ": " + reason + ": " + message));
  }
}

void Pass::UnblockNode(NodeResult& r) {
  if (!r.blocked) return;
  Event(RunEvent::Normal(
      "NodeUnblocked",
      r.name + ": " + BlockLiftedMessage(r.blocked->reason, Elapsed(r.blocked->since))));
  r.blocked.reset();
}

void Pass::BlockRun(const std::string& reason, const std::string& message) {
  if (StartBlock(d_.status.blocked, reason, message, now_)) {
    Event(RunEvent::Warning("RunBlocked", reason + ": " + message));
  }
}

void Pass::UnblockRun() {
  auto& blocked = d_.status.blocked;
  if (!blocked) return;
  Event(RunEvent::Normal("RunUnblocked",
                         BlockLiftedMessage(blocked->reason, Elapsed(blocked->since))));
  blocked.reset();
}

}  // namespace kcau::reconcilers::planner
