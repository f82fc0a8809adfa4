// The node state machine's Updating phase (docs/architecture.md): the agent is asked to
// install, attempt by attempt (maxRetriesPerNode) and round by round (separateReboots, the
// re-scans after a reboot), and an agent that never answers is given up on. Pure.
#include <algorithm>

#include "reconcilers/planner/pass.h"
#include "reconcilers/planner/planner_messages.h"

namespace kcau::reconcilers::planner {

using crd::NodePhase;

void Pass::StepUpdating(NodeResult& r, const NodeView& view) {
  const agent::AgentResult* result = view.agent_result ? &*view.agent_result : nullptr;
  if (result != nullptr && result->token != r.request_token && !result->previous.empty() &&
      result->previous.front().token == r.request_token &&
      view.rescan_request_token == result->token) {
    // The agent went on into the re-scan round this request named before this controller
    // saw the round end: that round's result comes with the re-scan round's.
    result = &result->previous.front();
  }
  if (result == nullptr || result->token != r.request_token) {
    if (AgentTimedOut(r)) {
      AgentSilent(r, view);
      return;
    }
    // The agent has not taken this attempt's request yet: (re)write it in case the write
    // was lost when the controller stopped between status and action. A re-scan round the
    // last request named is the agent's to begin: asked for only if it has not, in time.
    // (Within half the agent's timeout, so that a short one still leaves it time to answer.)
    const bool named = view.rescan_request_token == r.request_token;
    if (view.request_token != r.request_token &&
        (!named ||
         Elapsed(r.phase_time) >= std::min<Duration>(kSelfRescanGrace, AgentTimeout() / 2))) {
      d_.actions.push_back(UpdateRequest(r));
    }
    RequeueForAgent(r);
    return;
  }
  switch (result->state) {
    case agent::AgentState::kInstalling:
      if (!result->staged.empty() && !r.staged) {
        // Downloaded and ready to install (CAU's UpdateStagingResult). Said with the titles
        // installed rather than in an Event of its own: at 5,000 nodes every Event per node
        // is 5,000 API writes.
        r.staged = true;
      }
      Requeue(kAgentPollInterval);
      return;
    case agent::AgentState::kInstalled:
      // Staged first, said by the result itself when no pass saw the agent installing.
      r.staged = r.staged || !result->staged.empty();
      r.updates_installed += result->updates_installed;  // summed over the rounds
      if (!result->titles.empty()) {
        // Kept in status only while the node is in flight (at most maxUnavailable entries),
        // and said in the node's outcome Event (node_step.cc).
        r.installed += (r.installed.empty() ? "" : "; ") + InstalledText(result->titles, r.staged);
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
        EndNodeFailed(r, &view, why);
        return;
      }
      Event(RunEvent::Warning("NodeUpdateRetry", r.name + ": " + why + "; retrying"));
      StartAttempt(r);
      return;
    }
    case agent::AgentState::kScanned:
      // A scan answer to an install request: the agent did not install anything.
      EndNodeFailed(r, &view, "the agent only scanned; nothing was installed");
      return;
  }
}

void Pass::StartAttempt(NodeResult& r) {
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
// A re-scan round the last request named (kcau.io/update-rescan-request) is not asked for
// again: the agent begins it itself once the reboot happened, and may have ended it already.
void Pass::StartRound(NodeResult& r, const NodeView& view) {
  const std::string named = view.request_token == r.request_token ? view.rescan_request_token : "";
  r.round += 1;
  r.boot_id_before = view.boot_id;
  if (named.empty() || named != RequestToken(run_, r.name, r.attempts, r.round)) {
    RequestRound(r);
    return;
  }
  const auto& result = view.agent_result;
  if (result && result->token == named && !result->boot_id.empty()) {
    r.boot_id_before = result->boot_id;  // the round's own reboot may be over too
  }
  EnterRound(r);
  StepUpdating(r, view);
}

void Pass::RequestRound(NodeResult& r) {
  EnterRound(r);
  d_.actions.push_back(UpdateRequest(r));
  Requeue(kAgentPollInterval);
}

// The node is Updating in round r.round of its attempt, under that round's token.
void Pass::EnterRound(NodeResult& r) {
  r.staged = false;
  r.request_token = RequestToken(run_, r.name, r.attempts, r.round);
  Enter(r, NodePhase::kUpdating);
}

// forceReboot: the first round of an attempt reboots whatever it finds; the re-scan after
// that reboot does not force another.
NodeAction Pass::UpdateRequest(const NodeResult& r) const {
  NodeAction a{ActionType::kRequestUpdate, r.name, r.request_token, PluginOfRound(r.round)};
  a.force_reboot = run_.spec.force_reboot.value_or(false) && r.round <= 1;
  a.rescan_token = RescanToken(r);
  return a;
}

// The round after this one, when the agent may begin it itself once this round's reboot
// happened (one write per updated node less, and no wait between the node's return and
// its re-scan): a re-scan with the same plug-ins (the rounds separateReboots plans are
// asked one by one), within the re-scans a node gets, by an agent of the controller's
// version (an older one would not know the field, and refuse the request its signature
// covers).
std::string Pass::RescanToken(const NodeResult& r) const {
  if (r.round < PlannedRounds() || r.round >= PlannedRounds() + kMaxRescanRounds) return "";
  if (PluginOfRound(r.round) != PluginOfRound(r.round + 1)) return "";
  const NodeView* view = Find(r.name);
  if (view == nullptr || view->agent_version != controller_version_) return "";
  return RequestToken(run_, r.name, r.attempts, r.round + 1);
}

// separateReboots: round k runs plug-in k alone; every other round runs them all.
int Pass::PluginOfRound(int round) const {
  const int plugins = static_cast<int>(run_.spec.plugins.size());
  return run_.spec.separate_reboots.value_or(false) && round <= plugins ? round - 1 : -1;
}

int Pass::PlannedRounds() const {
  return run_.spec.separate_reboots.value_or(false)
             ? std::max<int>(1, static_cast<int>(run_.spec.plugins.size()))
             : 1;
}

// After a round, on a node back and Ready: is another round due?
bool Pass::AnotherRound(const NodeResult& r, const NodeView& view) const {
  if (r.round < PlannedRounds()) return true;
  const bool rebooted_this_round = view.boot_id != r.boot_id_before;
  return rebooted_this_round && r.round < PlannedRounds() + kMaxRescanRounds;
}

// An agent that has written no result at all for this request within agentTimeoutMinutes
// (none runs there, it crashed, it hangs) fails the attempt, which is retried within
// maxRetriesPerNode. Then the node fails: its request is withdrawn and, if the run had
// cordoned it, it is uncordoned, so no node stays drained waiting for an agent.
bool Pass::AgentTimedOut(const NodeResult& r) const {
  return Elapsed(r.phase_time) >= AgentTimeout();
}

void Pass::RequeueForAgent(const NodeResult& r) {
  Requeue(std::min<Duration>(kAgentPollInterval, AgentTimeout() - Elapsed(r.phase_time)));
}

void Pass::AgentSilent(NodeResult& r, const NodeView& view) {
  const bool scan = r.phase == NodePhase::kScanning;
  if (scan) ScanFailed(r);
  const std::string why = AgentSilentMessage(
      scan, r.request_token, run_.spec.agent_timeout_minutes.value_or(kDefaultAgentTimeoutMinutes),
      r.attempts, MaxAttempts());
  if (r.attempts < MaxAttempts()) {
    Event(RunEvent::Warning(scan ? "NodeScanRetry" : "NodeUpdateRetry",
                            r.name + ": " + why + "; retrying"));
    if (scan) {
      StartScan(r);
    } else {
      StartAttempt(r);
    }
    return;
  }
  if (scan) {  // asked before the node was taken: nothing to undo (the request is taken back)
    EndNodeFailed(r, &view, why + "; the node was not cordoned");
    return;
  }
  RestoreNode(r, NodePhase::kFailed, why);
}

// A request the run gives up on while no answer came is taken back: an agent that wakes
// up later must not install and reboot a node that is back in service, or failed and left
// for inspection. So is the re-scan round a request named, until the agent has begun it:
// the agent would begin it on its return from the reboot (a node back after its reboot
// timeout, say).
void Pass::WithdrawUnanswered(const NodeResult& r, const NodeView& view) {
  if (r.request_token.empty()) return;
  const agent::AgentResult* result = view.agent_result ? &*view.agent_result : nullptr;
  const std::string& rescan = view.rescan_request_token;
  const bool rescan_begun = !rescan.empty() && result != nullptr && result->token == rescan;
  bool pending = false;
  if (view.request_token == r.request_token) {
    const bool answered = result != nullptr && result->token == r.request_token;
    // Installed with its reboot to come: the re-scan round is next, on the agent's own.
    const bool rescan_next = answered && !rescan.empty() &&
                             result->state == agent::AgentState::kInstalled &&
                             result->reboot_required;
    pending = (!answered && !rescan_begun) || rescan_next;
  } else if (!rescan.empty() && rescan == r.request_token) {
    pending = !rescan_begun;  // the round awaited is that re-scan, not begun yet
  }
  if (pending) Act(ActionType::kWithdrawRequest, r.name, r.request_token);
}

}  // namespace kcau::reconcilers::planner
