// The UpdateRun API (kcau.io/v1alpha1) as plain C++ values: what the cmdlet Invoke-CauRun's
// parameters become in Kubernetes (README.md's table maps each parameter to its field).
//
// Spec fields are optional where the API lets the user leave them out, so the reconciler can
// tell "not set" from "set to the default" and refuse fields it does not honour yet.
// Plain values: copy freely, compare with ==, no thread-safety concerns.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"

namespace kcau::crd {

// ---------------------------------------------------------------------------------- spec

struct LabelSelectorRequirement {
  std::string key;
  std::string op;  // In, NotIn, Exists, DoesNotExist
  std::vector<std::string> values;
  bool operator==(const LabelSelectorRequirement&) const = default;
};

// metav1.LabelSelector. Empty (no labels, no expressions): every node.
struct LabelSelector {
  std::map<std::string, std::string> match_labels;
  std::vector<LabelSelectorRequirement> match_expressions;
  bool operator==(const LabelSelector&) const = default;
};

// CauPluginName + CauPluginArguments: one entry per plug-in, in order.
struct PluginSpec {
  std::string name;                              // reboot-required, packages, script
  std::map<std::string, std::string> arguments;  // meaningful to the plug-in only
  bool operator==(const PluginSpec&) const = default;
};

// The plug-in of a run that names none (spec.plugins absent or empty), as Invoke-CauRun uses
// its default plug-in when CauPluginName is not given. The decoder fills it in, so the rest
// of kcau always sees at least one plug-in.
inline constexpr char kDefaultPlugin[] = "packages";

// PreUpdateScript / PostUpdateScript: a script kept in a ConfigMap, run on the node.
struct HookSpec {
  std::string config_map;  // ConfigMap name in the controller's namespace
  std::string key;         // key inside the ConfigMap holding the script
  std::optional<int> timeout_seconds;
  bool operator==(const HookSpec&) const = default;
};

// ConfigurationName: whom the hooks run as.
struct HookRunnerSpec {
  std::string service_account_name;
  std::optional<int64_t> run_as_user;
  bool operator==(const HookRunnerSpec&) const = default;
};

enum class DrainMode { kNormal, kSkip, kForce };  // ForcePauseNoDrain, ForcePauseAndDrain
enum class FailbackMode { kNoFailback, kImmediate, kPolicy };
enum class RebootMode { kFullReboot, kSoftReboot, kPluginCustomReboot, kOrchestratorDefault };
enum class RunMode { kUpdate, kScan };  // Invoke-CauRun, Invoke-CauScan

// maxUnavailable: an absolute count or a percentage of the selected nodes ("25%").
struct IntOrPercent {
  int value = 0;
  bool percent = false;
  bool operator==(const IntOrPercent&) const = default;
};

struct SettleSpec {
  std::optional<bool> workloads_ready;
  std::optional<Duration> delay;
  bool operator==(const SettleSpec&) const = default;
};

struct UpdateRunSpec {
  std::optional<LabelSelector> node_selector;          // ClusterName
  std::vector<PluginSpec> plugins;                     // CauPluginName/Arguments
  std::optional<bool> run_plugins_serially;            // RunPluginsSerially
  std::optional<bool> stop_on_plugin_failure;          // StopOnPluginFailure
  std::optional<bool> separate_reboots;                // SeparateReboots
  std::optional<int> max_failed_nodes;                 // MaxFailedNodes
  std::optional<int> max_retries_per_node;             // MaxRetriesPerNode
  std::vector<std::string> node_order;                 // NodeOrder
  std::vector<std::string> site_aware_updating_order;  // SiteAwareUpdatingOrder
  std::optional<HookSpec> pre_update_hook;             // PreUpdateScript
  std::optional<HookSpec> post_update_hook;            // PostUpdateScript
  std::optional<HookRunnerSpec> hook_runner;           // ConfigurationName
  std::optional<bool> require_all_nodes_online;        // RequireAllNodesOnline
  std::optional<Duration> warn_after;                  // WarnAfter
  std::optional<Duration> stop_after;                  // StopAfter
  std::optional<int> reboot_timeout_minutes;           // RebootTimeoutMinutes
  std::optional<int> drain_timeout_minutes;            // SuspendClusterNodeTimeoutMinutes
  std::optional<int> agent_timeout_minutes;            // beyond CAU: a silent node agent
  std::optional<DrainMode> drain;                      // ForcePause*
  std::optional<bool> force_reboot;                    // ForcePauseDrainAndReboot
  std::optional<FailbackMode> failback_mode;           // FailbackMode
  std::optional<RebootMode> reboot_mode;               // RebootMode
  std::optional<bool> attempt_soft_reboot;             // AttemptSoftReboot
  std::optional<bool> os_rolling_upgrade;              // OsRollingUpgrade
  std::optional<bool> skip_update_checks;              // SkipUpdateChecks
  std::optional<bool> force_self_update;               // ForceSelfUpdate
  std::optional<bool> what_if;                         // WhatIf
  std::optional<bool> force_recovery;                  // ForceRecovery
  std::optional<RunMode> mode;                         // Invoke-CauScan
  std::optional<bool> stop;                            // Stop-CauRun
  std::optional<IntOrPercent> max_unavailable;         // beyond CAU
  std::optional<SettleSpec> settle;                    // beyond CAU

  // JSON paths of every spec field present in the document ("spec.drain",
  // "spec.plugins"), filled by the decoder, so the reconciler can refuse, by name, a field
  // it does not honour yet instead of silently ignoring it.
  std::set<std::string> fields_present;

  bool operator==(const UpdateRunSpec&) const = default;
};

// -------------------------------------------------------------------------------- status

// metav1.Condition.
struct Condition {
  std::string type;
  std::string status;  // "True", "False", "Unknown"
  std::string reason;  // CamelCase
  std::string message;
  TimePoint last_transition_time;
  int64_t observed_generation = 0;
  bool operator==(const Condition&) const = default;
};

// Condition types.
// Progressing: True while the run updates nodes; False once it ended (reason says why).
inline constexpr char kConditionProgressing[] = "Progressing";
// Succeeded: True when every selected node was updated (or had nothing to do).
inline constexpr char kConditionSucceeded[] = "Succeeded";
// Failed: True when the run stopped: invalid spec, unsupported field, failure budget spent.
inline constexpr char kConditionFailed[] = "Failed";
// Warning: True when something needs a human's eye but the run goes on.
inline constexpr char kConditionWarning[] = "Warning";
// SpecApplied: True when the run applies its spec as written; False (ChangesIgnored) when
// edits made after the start are not applied, the message naming them.
inline constexpr char kConditionSpecApplied[] = "SpecApplied";

enum class RunPhase { kPending, kRunning, kSucceeded, kFailed };

// The node state machine of docs/architecture.md. A phase is written to status *before* the action
// it announces, so a restarted controller knows what may be half-done.
enum class NodePhase {
  kPending,
  kPreUpdateHook,
  kCordoned,   // cordon being applied / applied
  kDraining,   // evicting pods
  kUpdating,   // agent asked to run the plug-ins
  kScanning,   // mode Scan: agent asked which updates apply (nothing is changed)
  kRebooting,  // agent reported the install; waiting for a new boot ID and Ready
  kVerifying,  // back with a new boot; checking health
  kPostUpdateHook,
  kUncordoned,  // uncordon being applied
  kSucceeded,
  kFailed,
  kSkipped,
};

// The message of a node Skipped because its agent's scan, asked before the node was taken,
// found nothing to install: it was not cordoned, drained or rebooted.
inline constexpr char kNoUpdatesApply[] = "no updates apply";

// Why a node, or a run, cannot go on right now, and since when: what a person looks for
// while a drain or a start waits. Set when the block starts, cleared when it lifts (an
// Event marks each), so status never says "Draining" for an hour without saying why.
struct Blocked {
  // What blocks: PodDisruptionBudget (evictions refused), UnmanagedPods (pods without a
  // controller and no drain Force), Quorum, RunLock (another run's cordon), Locked (another
  // run holds the run lock), AgentsUpdating (forceSelfUpdate).
  std::string reason;
  std::string message;  // names what blocks: the pods and their budgets, the run, the nodes
  TimePoint since;
  bool operator==(const Blocked&) const = default;
};

// The reasons of Blocked: of a node,
inline constexpr char kBlockedByDisruptionBudget[] = "PodDisruptionBudget";
inline constexpr char kBlockedByUnmanagedPods[] = "UnmanagedPods";
// and of a run.
inline constexpr char kBlockedByQuorum[] = "Quorum";
inline constexpr char kBlockedByRunLock[] = "RunLock";  // another run's cordon on a node
inline constexpr char kBlockedByLocked[] = "Locked";    // another run holds the run lock
inline constexpr char kBlockedByAgentsUpdating[] = "AgentsUpdating";

// CAU's NodeResult: what happened to one node in this run.
struct NodeResult {
  std::string name;
  NodePhase phase = NodePhase::kPending;
  int attempts = 0;  // update attempts started (hooks + plug-ins)
  // Update rounds of the current attempt: separateReboots runs one plug-in per round, and
  // after a reboot the node is scanned again for updates that only show after a restart.
  int round = 0;
  int updates_installed = 0;
  int updates_found = 0;  // mode Scan: updates that apply to the node
  bool rebooted = false;
  std::string reboot_kind;  // how the last reboot was done: full, soft, plugin
  bool staged = false;      // the agent reported this round's updates staged
  // What the agent installed, by title, round by round ("installed: a, b"): kept while the
  // node is in flight and said in its NodeUpdated or NodeFailed Event, one write per node.
  std::string installed;
  std::string boot_id_before;      // status.nodeInfo.bootID when the node was taken
  bool was_unschedulable = false;  // an admin's cordon, never undone by kcau
  std::string request_token;       // the agent request of the current attempt
  std::string message;
  std::optional<TimePoint> start_time;
  std::optional<TimePoint> phase_time;  // when the current phase began (for timeouts)
  std::optional<TimePoint> finish_time;
  // Set while a node is being brought back into service without finishing its update
  // (cancelled, failure budget spent, drain timed out): once uncordoned it ends in this
  // phase (Skipped or Failed), with `message` saying why.
  std::optional<NodePhase> restore_to;
  std::optional<Blocked> blocked;  // while the node cannot go on
  bool operator==(const NodeResult&) const = default;
};

struct UpdateRunStatus {
  RunPhase phase = RunPhase::kPending;
  int64_t observed_generation = 0;
  // Counts the controller's writes of this status. Each write is conditional on it (a JSON
  // patch that tests it), so a status decided from an older one is never written; labels
  // and annotations, which change resourceVersion, do not get in the way.
  int64_t revision = 0;
  std::vector<Condition> conditions;
  std::vector<NodeResult> nodes;
  std::vector<std::string> plan;  // node names in update order
  // whatIf only: the waves the run would take (maxUnavailable, control-plane quorum, sites).
  std::vector<std::vector<std::string>> batches;
  int nodes_total = 0;
  int nodes_succeeded = 0;
  int nodes_failed = 0;
  std::optional<TimePoint> start_time;
  std::optional<TimePoint> completion_time;
  // The spec as this run applies it (JSON text, keys sorted), recorded when it starts: edits
  // made since are applied only to the fields that pace, bound or stop a run
  // (reconcilers/spec_edits.h). Empty before the start.
  std::string applied_spec;
  // While the run cannot take its next node for a reason outside its own pace: quorum, the
  // run lock, another run's cordon, agents being updated.
  std::optional<Blocked> blocked;
  bool operator==(const UpdateRunStatus&) const = default;
};

// Held by the controller while a run is active, so that deleting the run cancels it safely
// (nodes in flight finished or brought back) before it goes.
inline constexpr char kRunFinalizer[] = "kcau.io/run-cleanup";

struct UpdateRun {
  std::string name;
  std::string uid;
  std::string resource_version;
  int64_t generation = 0;
  bool deleting = false;                // metadata.deletionTimestamp is set
  std::vector<std::string> finalizers;  // metadata.finalizers
  UpdateRunSpec spec;
  UpdateRunStatus status;
};

}  // namespace kcau::crd
