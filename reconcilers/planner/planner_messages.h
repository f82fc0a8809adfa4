// The words the rollout planner writes into status messages and Events, as pure functions of
// plain values, so each text is tested on its own (tests/unit/reconcilers/
// planner_messages_test.cc) and the decision code reads as decisions. People and scripts
// read these texts in conditions and node messages: change them only on purpose.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/clock.h"
#include "crd/updaterun_types.h"

namespace kcau::reconcilers::planner {

// "a, b, c".
std::string Join(const std::vector<std::string>& items, const std::string& sep = ", ");
// As Join, but past kNamesInMessages names: "a, ..., j and 3 more".
std::string JoinSome(const std::vector<std::string>& items, const std::string& sep = ", ");
// "1 minute", "5 minutes".
std::string Minutes(int m);

// Why a node's agent cannot be asked anything (a pre-flight check, and part of why a node
// that was not Ready at the start was skipped).
std::string NoAgentMessage();
// Pre-flight: the node's agent runs another version than the controller.
std::string AgentVersionMismatchMessage(const std::string& agent_version,
                                        const std::string& controller_version);

// --- the run starts ---
std::string UnsupportedFieldsMessage(const std::vector<std::string>& fields);
std::string NodesOfflineMessage(const std::vector<std::string>& offline);
// A node not Ready when the run started; `no_agent`: it had no agent either.
std::string SkippedOfflineMessage(bool no_agent);
// The Progressing message of a running run.
std::string StartedMessage(bool scanning, int nodes_total, int width,
                           const std::vector<std::string>& plan);
// The RunStarted Event.
std::string RunStartedMessage(const std::vector<std::string>& to_update, int width,
                              int failure_budget, const std::vector<std::string>& offline);
// whatIf: a node's place in the predicted waves, and the run's summary.
std::string WhatIfNodeMessage(size_t batch, size_t batches);
std::string WhatIfMessage(const std::vector<std::string>& to_update,
                          const std::vector<std::string>& offline, size_t batches, int width);

// --- the run stops or ends ---
std::string TooManyFailedMessage(const std::vector<std::string>& failed, int failure_budget);
// The run has stopped and nothing is in flight any more.
std::string StoppedMessage(const std::string& why, int taken, size_t skipped);
// No node was updated (or scanned) and some could not be: `could_not` is "node: why".
std::string NoNodeDoneMessage(bool scanning, int nodes_total, size_t up_to_date,
                              const std::vector<std::string>& could_not);
std::string NothingToUpdateMessage(int nodes_total);
std::string ScanCompletedMessage(int nodes_total, int updates,
                                 const std::vector<std::string>& with_updates);
std::string CompletedMessage(size_t succeeded, int nodes_total,
                             const std::vector<std::string>& up_to_date,
                             const std::vector<std::string>& skipped);
std::string CompletedWithFailuresMessage(const std::vector<std::string>& failed,
                                         int failure_budget);

// --- blocks ---
// "PodDisruptionBudget block lifted after 2m30s".
std::string BlockLiftedMessage(const std::string& reason, Duration lasted);
// The evictions a budget refuses, each pod with its budget: "evictions refused: default/web-1
// (budget web), default/web-2 (budget web)", the names cut at kNamesInMessages.
std::string EvictionsRefusedMessage(const std::vector<std::string>& pods_and_budgets);

// --- a node ---
std::string UnmanagedPodsMessage(bool force, const std::vector<std::string>& pods);
// An agent wrote no result for a request within agentTimeoutMinutes.
std::string AgentSilentMessage(bool scan, const std::string& token, int timeout_minutes,
                               int attempt, int max_attempts);
// A node that did not come back (reboot) or become Ready (verify) in time.
std::string RebootTimeoutMessage(const std::string& what, int timeout_minutes, bool ready,
                                 bool boot_id_changed);
// Appended to the message of a node brought back into service.
std::string RestoredSuffix(bool was_unschedulable);
// The message of a node updated successfully.
std::string NodeSucceededText(const std::string& node, int updates_installed, bool rebooted,
                              const std::string& reboot_kind, bool was_unschedulable,
                              bool left_cordoned);
// One round's updates by title: "installed (staged first): a, b".
std::string InstalledText(const std::vector<std::string>& titles, bool staged);
// A node's outcome Event: "node: message", then what it installed, if anything.
std::string OutcomeText(const crd::NodeResult& r);

}  // namespace kcau::reconcilers::planner
