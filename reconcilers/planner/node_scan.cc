// The node state machine's Scanning phase (docs/architecture.md): the agent reports what
// applies and changes nothing, either as the whole run (mode Scan, Invoke-CauScan) or before
// a node is taken, so a node with nothing to install is left alone. Pure.
#include "reconcilers/planner/pass.h"
#include "reconcilers/planner/planner_messages.h"

namespace kcau::reconcilers::planner {

using crd::NodePhase;

bool IsScanToken(const std::string& token) {
  const std::string suffix = kScanTokenSuffix;
  return token.size() >= suffix.size() &&
         token.compare(token.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Invoke-CauScan (mode Scan): each scan is an attempt. In an update run, the scan before a
// node is taken belongs to the attempt it precedes and uses it up only when it fails
// (ScanFailed), so a node's attempts still count its updates.
void Pass::StartScan(NodeResult& r) {
  if (Scanning()) r.attempts += 1;
  r.request_token =
      RequestToken(run_, r.name, r.attempts + (Scanning() ? 0 : 1)) + kScanTokenSuffix;
  Enter(r, NodePhase::kScanning);
  d_.actions.push_back(ScanRequest(r));
  Requeue(kAgentPollInterval);
}

// A scan before the update that failed uses up the attempt it was for.
void Pass::ScanFailed(NodeResult& r) {
  if (!Scanning()) r.attempts += 1;
}

NodeAction Pass::ScanRequest(const NodeResult& r) const {
  NodeAction a{ActionType::kRequestUpdate, r.name, r.request_token};
  a.scan = true;
  return a;
}

void Pass::StepScanning(NodeResult& r, const NodeView& view) {
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
      Event(RunEvent::Normal("UpdatesFound", r.name + ": " + std::to_string(result->titles.size()) +
                                                 " apply: " + JoinSome(result->titles)));
    }
    EndNode(r, NodePhase::kSucceeded,
            std::to_string(r.updates_found) + " updates apply (scan: nothing changed)");
    Event(RunEvent::Normal("NodeScanned", r.name + ": " + r.message));
    return;
  }
  if (result->state == agent::AgentState::kFailed) ScanFailed(r);
  const std::string why =
      result->state == agent::AgentState::kFailed
          ? "scan attempt " + std::to_string(r.attempts) + " of " + std::to_string(MaxAttempts()) +
                " failed: " + result->message
          : std::string("the agent installed instead of scanning (does it know scan mode?)");
  if (result->state == agent::AgentState::kFailed && r.attempts < MaxAttempts()) {
    Event(RunEvent::Warning("NodeScanRetry", r.name + ": " + why + "; retrying"));
    StartScan(r);
    return;
  }
  EndNodeFailed(r, &view, why);
}

// kured and FLUO disrupt only the nodes that need it: a node with nothing to install is
// not cordoned, drained or rebooted.
void Pass::NothingToInstall(NodeResult& r, const NodeView& view) {
  if (view.unschedulable && !r.was_unschedulable) {
    // A cordon an earlier kcau run left here (taken over with forceRecovery): released.
    RestoreNode(r, NodePhase::kSkipped, crd::kNoUpdatesApply);
    return;
  }
  EndNode(r, NodePhase::kSkipped, crd::kNoUpdatesApply);
  Event(RunEvent::Normal(
      "NodeSkipped", r.name + ": " + crd::kNoUpdatesApply + ": not cordoned, drained or rebooted"));
}

}  // namespace kcau::reconcilers::planner
