// The UpdateRun decision function: given a run and the nodes as they are now, what should
// the run's status become and which actions bring the world toward "every selected node
// updated"? Pure: no client, no clock, no logging, so every rule is
// tested with plain structs and a chosen `now`.
//
// The returned status is written *before* the actions are applied, so every phase in status
// announces an action that may have happened, never one that happened unannounced; applying
// the actions twice is harmless (cordon, evict, annotate are idempotent). The uncordon that
// follows a node's last round is the one action the controller may take before the pass that
// decides it (UncordonOnResult): a node in that round is already announced as one that is
// uncordoned when the round ends clean.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "crd/updaterun_types.h"
#include "reconcilers/node_view.h"

namespace kcau::reconcilers {

enum class ActionType {
  kCordon,         // spec.unschedulable = true
  kDrain,          // evict every evictable pod on the node
  kForceDrain,     // evict, and delete the pods a PodDisruptionBudget still protects (drain Force)
  kRequestUpdate,  // write the agent request annotation with `token`
  kRunHook,        // ask the agent to run spec.preUpdateHook / postUpdateHook (`hook`)
  kRollAgents,     // forceSelfUpdate: roll the agent DaemonSet to `token` (a version)
  kFailback,       // failbackMode Policy: evict pods labelled kcau.io/failback elsewhere
  kUncordon,       // spec.unschedulable = false
  // Remove the agent request `token` the run gave up on (its agent never answered): an
  // agent that wakes up later must find nothing to act on once the node is back in service.
  kWithdrawRequest,
};

struct NodeAction {
  ActionType type;
  std::string node;
  std::string token;  // kRequestUpdate: the request token; kCordon: RunIdentity (cordoned-by)
  int plugin = -1;    // kRequestUpdate: index in spec.plugins to run alone; -1: all of them
  std::string hook;   // kRunHook: "pre" or "post"
  bool force_reboot = false;  // kRequestUpdate: reboot even without updates (forceReboot)
  bool scan = false;  // kRequestUpdate: only report what applies (kcau.io/update-mode: scan)
  // kRequestUpdate: the token of the re-scan round the agent takes itself once this round's
  // reboot happened (kcau.io/update-rescan-request); empty: none.
  std::string rescan_token;
  bool operator==(const NodeAction&) const = default;
};

// A Kubernetes Event to publish on the UpdateRun once the status write succeeded. Made with
// Normal() or Warning(), so the type is never misspelt.
struct RunEvent {
  std::string type;  // Normal, Warning
  std::string reason;
  std::string message;
  bool operator==(const RunEvent&) const = default;

  static RunEvent Normal(std::string reason, std::string message) {
    return RunEvent{"Normal", std::move(reason), std::move(message)};
  }
  static RunEvent Warning(std::string reason, std::string message) {
    return RunEvent{"Warning", std::move(reason), std::move(message)};
  }
};

// A node whose agent works on round `token`, the last of its attempt unless that round
// reboots it: when the agent reports the round Installed with no reboot to follow, and the
// node is Ready, cordoned and still on the boot the round began on, the run's next pass
// uncordons it (StepVerifying). The controller may make that uncordon at once, before the
// pass, since every later pass decides it too (reconcilers/prompt_uncordons.h): a node back
// in service does not wait for the run's next pass over thousands of nodes.
//
// The round is either the one the node is Updating in (`boot_id` is the boot it began on),
// or the re-scan round the agent begins itself after the reboot of round `after` (named by
// that round's request; `boot_id` empty): the node must then have left boot
// `rebooted_from`, and the re-scan must carry round `after`'s result, Installed with its
// reboot, and have run on the boot the node is on now.
struct UncordonOnResult {
  std::string node;
  std::string token;
  std::string boot_id;
  std::string after;
  std::string rebooted_from;
  bool operator==(const UncordonOnResult&) const = default;
};

// Whether `node`, as seen now, is where `expected` says its uncordon is due.
bool UncordonDue(const UncordonOnResult& expected, const NodeView& node);

struct RolloutDecision {
  crd::UpdateRunStatus status;
  std::vector<NodeAction> actions;
  std::vector<RunEvent> events;
  std::optional<Duration> requeue_after;  // a timer the run waits on
  bool terminal = false;                  // the run ended (or cannot start)
  // The nodes left Updating whose next step, once their round ends clean, is the uncordon.
  std::vector<UncordonOnResult> uncordon_on_result;
};

// Defaults where the spec is silent.
inline constexpr int kDefaultRebootTimeoutMinutes = 30;
// How often to look again while waiting for something no watch reports promptly.
inline constexpr Duration kDrainPollInterval = std::chrono::seconds(2);
inline constexpr Duration kAgentPollInterval = std::chrono::seconds(5);
inline constexpr Duration kRebootPollInterval = std::chrono::seconds(10);
inline constexpr Duration kLockPollInterval = std::chrono::seconds(5);
// Re-scans after the planned rounds, each after a reboot: updates that only show after a
// restart are installed, but a node that keeps finding some cannot loop for ever.
inline constexpr int kMaxRescanRounds = 2;
// A re-scan round the agent was to take itself after its reboot (the request named it,
// kcau.io/update-rescan-request) and has not begun this long after the node came back is
// asked for as a request of its own (an agent that lost its journal, or was replaced); half
// the agent timeout when that is shorter.
inline constexpr Duration kSelfRescanGrace = std::chrono::minutes(2);
inline constexpr int kDefaultHookTimeoutSeconds = 300;
inline constexpr Duration kHookPollInterval = std::chrono::seconds(2);
// spec.agentTimeoutMinutes unset: how long a node's agent has to answer a request. An
// answer is any result for the request's token, Installing included (the agent writes that
// when it takes a request), so this bounds an agent that is not there, crashed or hangs,
// never a slow install. Hooks have their own timeout (timeoutSeconds).
inline constexpr int kDefaultAgentTimeoutMinutes = 15;

// `elapsed` says how long ago a status timestamp was; the controller passes one that is
// immune to steps of the wall clock (reconcilers/elapsed_since.h). `now` itself is only
// written into status, for people. `controller_version` is the version the agents must run
// (pre-flight check, forceSelfUpdate): the controller passes its own.
RolloutDecision PlanRollout(const crd::UpdateRun& run, const std::vector<NodeView>& nodes,
                            TimePoint now, const ElapsedFn& elapsed,
                            std::string_view controller_version);

// How many node names a condition message lists before "and N more": a 5,000-node plan in
// one message would be most of the status.
inline constexpr size_t kNamesInMessages = 10;

// Which nodes' evictable pods the planner needs counted in this pass: every selected node
// before the plan exists (default order is by pod count), afterwards only nodes being
// cordoned or drained. `all` is set for the first case.
struct PodCountNeeds {
  bool all = false;
  std::vector<std::string> nodes;
};
PodCountNeeds PodCountsNeeded(const crd::UpdateRun& run);

// The agent request token of a node's attempt: unique per run, node and attempt so a stale
// answer from an earlier attempt or run is never taken for this one.
// `round` > 1 is appended ("/2"), so each round's answer is told from the last one's.
std::string RequestToken(const crd::UpdateRun& run, const std::string& node, int attempt,
                         int round = 1);

// "NAME/UID": who holds the run lock and who cordoned a node (kcau.io/cordoned-by).
std::string RunIdentity(const crd::UpdateRun& run);

}  // namespace kcau::reconcilers
