#include "controller/node_transitions.h"

#include <chrono>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "crd/duration.h"

namespace kcau::controller {

namespace {

using crd::NodePhase;
using crd::NodeResult;

// How the planner words an attempt that ended because the node's agent never answered
// (reconcilers' AgentSilent), in the node's message or the retry Event.
constexpr char kNoAnswer[] = "no answer from kcau-agent";

// How the planner's NodeUnblocked Event words a block that lifted, after "<node>: <reason>":
// " block lifted after <Go duration>", the duration as the planner measured it.
constexpr char kBlockLifted[] = " block lifted after ";

std::optional<double> SecondsBetween(const std::optional<TimePoint>& from,
                                     const std::optional<TimePoint>& to) {
  if (!from || !to || *to < *from) return std::nullopt;
  return std::chrono::duration<double>(*to - *from).count();
}

bool Ended(NodePhase phase) {
  return phase == NodePhase::kSucceeded || phase == NodePhase::kFailed ||
         phase == NodePhase::kSkipped;
}

// The phase the node was in ended in this pass (left, or entered afresh: a retry).
bool PhaseEnded(const NodeResult& old, const NodeResult& now) {
  return old.phase != now.phase || old.phase_time != now.phase_time;
}

bool TimedOut(const NodeResult& old, const NodeResult& now,
              const std::vector<reconcilers::RunEvent>& events) {
  if (now.message != old.message && now.message.find(kNoAnswer) != std::string::npos) {
    return true;
  }
  const std::string prefix = now.name + ": ";
  for (const auto& e : events) {
    if (e.message.rfind(prefix, 0) == 0 && e.message.find(kNoAnswer) != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::optional<double> LiftedAfter(const std::string& node, const std::string& reason,
                                  const std::vector<reconcilers::RunEvent>& events) {
  const std::string prefix = node + ": " + reason + kBlockLifted;
  for (const auto& e : events) {
    if (e.message.rfind(prefix, 0) != 0) continue;
    auto lasted = crd::ParseDuration(e.message.substr(prefix.size()));
    if (lasted.ok()) return std::chrono::duration<double>(*lasted).count();
  }
  return std::nullopt;
}

// The node's block ended in this pass (lifted, or replaced by a block of another reason):
// how long it lasted. Until the next block's start, or the phase the node went on to; a
// block lifted while the node stays in its phase leaves no timestamp in the status, and the
// NodeUnblocked Event says how long it lasted.
void CountBlockEnd(const NodeResult& old, const NodeResult& now,
                   const std::vector<reconcilers::RunEvent>& events, NodeTransitions& out) {
  if (!old.blocked || now.blocked == old.blocked) return;
  const crd::Blocked& ended = *old.blocked;
  if (now.blocked && now.blocked->reason == ended.reason && now.blocked->since == ended.since) {
    return;  // the same block, its message refreshed
  }
  std::optional<double> lasted;
  if (now.blocked) {
    lasted = SecondsBetween(ended.since, now.blocked->since);
  } else if (PhaseEnded(old, now)) {
    lasted = SecondsBetween(ended.since, now.phase_time);
  }
  if (!lasted) lasted = LiftedAfter(now.name, ended.reason, events);
  if (lasted) out.blocked_seconds.emplace_back(ended.reason, *lasted);
}

// A request to the node's agent (install or scan) ended: how.
void CountAnswer(const NodeResult& old, const NodeResult& now,
                 const std::vector<reconcilers::RunEvent>& events, NodeTransitions& out) {
  if (TimedOut(old, now, events)) {
    ++out.agent_timeouts;
    return;
  }
  const bool retried = now.phase == old.phase && now.attempts > old.attempts;
  const bool failed = now.phase == NodePhase::kFailed || now.restore_to == NodePhase::kFailed;
  if (retried || failed) {
    ++out.answers_failed;
  } else if (old.phase == NodePhase::kScanning) {
    ++out.answers_scanned;
  } else {
    ++out.answers_installed;
  }
}

void DiffNode(const NodeResult* old, const NodeResult& now,
              const std::vector<reconcilers::RunEvent>& events, NodeTransitions& out) {
  if (Ended(now.phase) && (old == nullptr || !Ended(old->phase))) {
    const char* result = now.phase == NodePhase::kSucceeded ? "succeeded"
                         : now.phase == NodePhase::kFailed  ? "failed"
                                                            : "skipped";
    ++(now.phase == NodePhase::kSucceeded ? out.succeeded
       : now.phase == NodePhase::kFailed  ? out.failed
                                          : out.skipped);
    if (now.phase != NodePhase::kSkipped) {
      if (auto s = SecondsBetween(now.start_time, now.finish_time)) {
        out.update_seconds.emplace_back(result, *s);
      }
    }
  }
  if (now.rebooted && (old == nullptr || !old->rebooted)) ++out.reboots;
  if (old != nullptr) CountBlockEnd(*old, now, events, out);
  if (old == nullptr || !PhaseEnded(*old, now)) {
    if (old != nullptr &&
        (old->phase == NodePhase::kUpdating || old->phase == NodePhase::kScanning) &&
        old->request_token != now.request_token) {
      CountAnswer(*old, now, events, out);
    }
    return;
  }
  const std::optional<double> lasted = SecondsBetween(old->phase_time, now.phase_time);
  switch (old->phase) {
    case NodePhase::kDraining:
      if (lasted) out.drain_seconds.push_back(*lasted);
      break;
    case NodePhase::kUpdating:
      if (lasted) out.install_seconds.push_back(*lasted);
      CountAnswer(*old, now, events, out);
      break;
    case NodePhase::kScanning:
      CountAnswer(*old, now, events, out);
      break;
    case NodePhase::kRebooting:
      if (lasted) out.reboot_seconds.push_back(*lasted);
      break;
    default:
      break;
  }
}

}  // namespace

NodeTransitions DiffNodes(const crd::UpdateRunStatus& before, const crd::UpdateRunStatus& after,
                          const std::vector<reconcilers::RunEvent>& events) {
  std::unordered_map<std::string_view, const NodeResult*> old_by_name;  // 5,000 at a time
  old_by_name.reserve(before.nodes.size());
  for (const auto& r : before.nodes) old_by_name[r.name] = &r;
  NodeTransitions out;
  for (const auto& r : after.nodes) {
    auto it = old_by_name.find(r.name);
    DiffNode(it == old_by_name.end() ? nullptr : it->second, r, events, out);
  }
  return out;
}

}  // namespace kcau::controller
