// The planner's message texts (planner_messages.h). Pure.
#include "reconcilers/planner/planner_messages.h"

#include "agent/protocol.h"
#include "crd/duration.h"
#include "crd/names.h"
#include "reconcilers/rollout_planner.h"

namespace kcau::reconcilers::planner {

std::string Join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

std::string JoinSome(const std::vector<std::string>& items, const std::string& sep) {
  if (items.size() <= kNamesInMessages) return Join(items, sep);
  std::vector<std::string> head(items.begin(), items.begin() + kNamesInMessages);
  return Join(head, sep) + " and " + std::to_string(items.size() - kNamesInMessages) + " more";
}

std::string Minutes(int m) { return std::to_string(m) + (m == 1 ? " minute" : " minutes"); }

std::string NoAgentMessage() {
  return std::string("no kcau-agent answers on this node (") + agent::kAgentVersionAnnotation +
         " absent)";
}

std::string AgentVersionMismatchMessage(const std::string& agent_version,
                                        const std::string& controller_version) {
  return "its agent runs " + agent_version + ", not the controller's " + controller_version +
         " (spec.forceSelfUpdate: true rolls the agents first)";
}

std::string UnsupportedFieldsMessage(const std::vector<std::string>& fields) {
  return Join(fields) + ": not supported by this kcau version yet; remove " +
         (fields.size() == 1 ? "it" : "them") + " or upgrade the controller";
}

std::string NodesOfflineMessage(const std::vector<std::string>& offline) {
  return "requireAllNodesOnline: " + std::to_string(offline.size()) +
         " selected node(s) not Ready: " + JoinSome(offline) + "; no node was touched";
}

std::string SkippedOfflineMessage(bool no_agent) {
  return "not Ready when the run started" +
         (no_agent ? ", and " + NoAgentMessage() : std::string()) +
         ": skipped (requireAllNodesOnline refuses instead)";
}

std::string StartedMessage(bool scanning, int nodes_total, int width,
                           const std::vector<std::string>& plan) {
  if (scanning) {
    return "scanning " + std::to_string(nodes_total) +
           " nodes (nothing is changed): " + JoinSome(plan);
  }
  return "updating " + std::to_string(nodes_total) + " nodes, " +
         (width == 1 ? std::string("one at a time")
                     : "up to " + std::to_string(width) + " at a time") +
         ": " + JoinSome(plan);
}

namespace {
std::string SkippedNotReady(const std::vector<std::string>& offline) {
  return offline.empty() ? "" : "; skipped (not Ready): " + JoinSome(offline);
}
}  // namespace

std::string RunStartedMessage(const std::vector<std::string>& to_update, int width,
                              int failure_budget, const std::vector<std::string>& offline) {
  return "plan: " + JoinSome(to_update) + "; maxUnavailable " + std::to_string(width) +
         "; maxFailedNodes " + std::to_string(failure_budget) + SkippedNotReady(offline);
}

std::string WhatIfNodeMessage(size_t batch, size_t batches) {
  return "would be updated in batch " + std::to_string(batch) + " of " + std::to_string(batches);
}

std::string WhatIfMessage(const std::vector<std::string>& to_update,
                          const std::vector<std::string>& offline, size_t batches, int width) {
  return "whatIf: " + std::to_string(to_update.size()) + " node(s) in " + std::to_string(batches) +
         " batch(es) of up to " + std::to_string(width) + ": " + JoinSome(to_update) +
         SkippedNotReady(offline) + "; nothing was touched";
}

std::string TooManyFailedMessage(const std::vector<std::string>& failed, int failure_budget) {
  return std::to_string(failed.size()) + " node(s) failed (" + JoinSome(failed) +
         "), more than maxFailedNodes=" + std::to_string(failure_budget);
}

std::string StoppedMessage(const std::string& why, int taken, size_t skipped) {
  return why + "; " + std::to_string(taken) + " node(s) taken, " + std::to_string(skipped) +
         " skipped";
}

std::string NoNodeDoneMessage(bool scanning, int nodes_total, size_t up_to_date,
                              const std::vector<std::string>& could_not) {
  return std::string("none of the ") + std::to_string(nodes_total) + " nodes was " +
         (scanning ? "scanned" : "updated") +
         (up_to_date == 0 ? ""
                          : " (" + std::to_string(up_to_date) + " had no updates to install)") +
         "; " + JoinSome(could_not, "; ");
}

std::string NothingToUpdateMessage(int nodes_total) {
  return "no updates apply on any of the " + std::to_string(nodes_total) +
         " nodes: nothing was changed";
}

std::string ScanCompletedMessage(int nodes_total, int updates,
                                 const std::vector<std::string>& with_updates) {
  return std::to_string(nodes_total) + " nodes scanned: " + std::to_string(updates) +
         " updates apply on " + std::to_string(with_updates.size()) + " node(s)" +
         (with_updates.empty() ? "" : " (" + JoinSome(with_updates) + ")") +
         "; nothing was changed";
}

std::string CompletedMessage(size_t succeeded, int nodes_total,
                             const std::vector<std::string>& up_to_date,
                             const std::vector<std::string>& skipped) {
  const bool all = up_to_date.empty() && skipped.empty();
  return (all ? "all " : "") + std::to_string(succeeded) +
         (all ? "" : " of " + std::to_string(nodes_total)) + " nodes updated" +
         (up_to_date.empty()
              ? ""
              : "; " + std::string(crd::kNoUpdatesApply) + " on " + JoinSome(up_to_date)) +
         (skipped.empty() ? "" : "; skipped: " + JoinSome(skipped));
}

std::string CompletedWithFailuresMessage(const std::vector<std::string>& failed,
                                         int failure_budget) {
  return std::to_string(failed.size()) +
         " node(s) failed within maxFailedNodes=" + std::to_string(failure_budget) + ": " +
         JoinSome(failed);
}

std::string UnmanagedPodsMessage(bool force, const std::vector<std::string>& pods) {
  const std::string names = JoinSome(pods);
  return force ? "drain Force: evicting pod(s) without a controller, which nothing recreates: " +
                     names
               : "drain blocked by pod(s) without a controller: " + names +
                     " (evicted they would be lost, so kubectl drain refuses them without "
                     "--force): delete or move them, or set spec.drain: Force";
}

std::string AgentSilentMessage(bool scan, const std::string& token, int timeout_minutes,
                               int attempt, int max_attempts) {
  return "no answer from kcau-agent: " + std::string(scan ? "scan" : "update") + " request " +
         token + " got no result within agentTimeoutMinutes=" + std::to_string(timeout_minutes) +
         " (attempt " + std::to_string(attempt) + " of " + std::to_string(max_attempts) + ")";
}

std::string RebootTimeoutMessage(const std::string& what, int timeout_minutes, bool ready,
                                 bool boot_id_changed) {
  return what + " within rebootTimeoutMinutes=" + std::to_string(timeout_minutes) +
         " (Ready=" + (ready ? "True" : "False") +
         (boot_id_changed ? ", boot ID changed" : ", boot ID unchanged") + ")";
}

std::string RestoredSuffix(bool was_unschedulable) {
  return was_unschedulable ? "; left cordoned as it was before the run"
                           : "; uncordoned, back in service";
}

std::string NodeSucceededText(const std::string& node, int updates_installed, bool rebooted,
                              const std::string& reboot_kind, bool was_unschedulable,
                              bool left_cordoned) {
  return crd::NodeSucceededMessage(updates_installed, rebooted) +
         (rebooted && reboot_kind.rfind("soft", 0) == 0 ? " (soft reboot)" : "") +
         (was_unschedulable ? "; left cordoned as it was before the run" : "") +
         (left_cordoned ? "; left cordoned (failbackMode NoFailback): kubectl uncordon " + node +
                              " releases it"
                        : "");
}

std::string InstalledText(const std::vector<std::string>& titles, bool staged) {
  return (staged ? "installed (staged first): " : "installed: ") + JoinSome(titles);
}

std::string OutcomeText(const crd::NodeResult& r) {
  return r.name + ": " + r.message + (r.installed.empty() ? "" : "; " + r.installed);
}

std::string BlockLiftedMessage(const std::string& reason, Duration lasted) {
  return reason + " block lifted after " + crd::FormatDuration(lasted);
}

std::string EvictionsRefusedMessage(const std::vector<std::string>& pods_and_budgets) {
  return "evictions refused by a PodDisruptionBudget: " + JoinSome(pods_and_budgets);
}

}  // namespace kcau::reconcilers::planner
