// The conversation between the controller and a node's agent, carried in the Node's own
// annotations so that it lives in the API server and survives a restart of either side.
//
//   controller -> agent   kcau.io/update-request   the request token of this attempt
//                         kcau.io/update-plugins   JSON array of {name, arguments}
//                         kcau.io/force-reboot     "true": reboot even if no plug-in asks
//                         kcau.io/update-options   JSON {runPluginsSerially,
//                                                  stopOnPluginFailure, osRollingUpgrade}
//                         kcau.io/update-mode      "scan": only report what applies
//                                                  (Invoke-CauScan); absent: install
//                         kcau.io/update-rescan-request
//                                                  a second token: once the reboot this
//                                                  request needs has happened, re-scan and
//                                                  install what shows only after a restart,
//                                                  under this token (same plug-ins, no forced
//                                                  reboot) without waiting to be asked
//   agent -> controller   kcau.io/update-result    JSON AgentResult for the latest token
//
// The agent reboots the node itself after an install that needs it; the controller sees the
// reboot as a new status.nodeInfo.bootID and Ready=True. The simulated agents in sim/ and the
// real agent binary speak exactly this. Plain functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kcau::agent {

inline constexpr char kRequestAnnotation[] = "kcau.io/update-request";
inline constexpr char kPluginsAnnotation[] = "kcau.io/update-plugins";
inline constexpr char kResultAnnotation[] = "kcau.io/update-result";
inline constexpr char kForceRebootAnnotation[] = "kcau.io/force-reboot";
inline constexpr char kModeAnnotation[] = "kcau.io/update-mode";
// The re-scan round after the request's reboot, taken by the agent itself: one API write per
// updated node less, and no wait for the controller between the node's return and that round
// (docs/architecture.md, "The agent protocol").
inline constexpr char kRescanRequestAnnotation[] = "kcau.io/update-rescan-request";
inline constexpr char kOptionsAnnotation[] = "kcau.io/update-options";
// How to restart after installing (RebootMode / AttemptSoftReboot): "full", "soft" (kexec /
// systemctl soft-reboot, falling back to full when an update needs firmware to run) or
// "plugin" (the plug-in restarts the node its own way).
inline constexpr char kRebootModeAnnotation[] = "kcau.io/reboot-mode";
// Hooks (PreUpdateScript / PostUpdateScript), a conversation of their own:
//   controller -> agent   kcau.io/hook-request   JSON HookRequest
//   agent -> controller   kcau.io/hook-result    JSON HookResult for the latest token
inline constexpr char kHookRequestAnnotation[] = "kcau.io/hook-request";
// Written by the agent when it starts on a node: its version. A node without it has no
// agent to answer a request (a pre-flight check, unless spec.skipUpdateChecks).
inline constexpr char kAgentVersionAnnotation[] = "kcau.io/agent-version";
// The agents' DaemonSet, in the controller's namespace. ForceSelfUpdate sets
// kAgentVersionAnnotation on its pod template to the controller's version: a rollout.
inline constexpr char kAgentDaemonSet[] = "kcau-agent";
inline constexpr char kHookResultAnnotation[] = "kcau.io/hook-result";
inline constexpr char kScanMode[] = "scan";
// Set by the controller with its cordon ("RUN/UID"), removed with its uncordon: tells a cordon
// kcau made (and which run) from an administrator's, which kcau never undoes.
inline constexpr char kCordonedByAnnotation[] = "kcau.io/cordoned-by";

enum class AgentState {
  kInstalling,  // the agent took the request and runs the plug-ins
  kInstalled,   // plug-ins done; a reboot follows when reboot_required
  kFailed,      // a plug-in failed; nothing was rebooted
  kScanned,     // scan mode: updates_found says what applies; nothing was changed
};

struct AgentResult {
  std::string token;  // the request it answers
  AgentState state = AgentState::kInstalling;
  bool reboot_required = false;  // the agent reboots the node next (asked, or forced)
  int updates_installed = 0;
  std::string message;
  int updates_found = 0;    // scan mode
  std::string reboot_kind;  // with reboot_required: "full", "soft" or "plugin", as done
  // The updates' titles ("openssl 3.0.15-1~deb12u1"): installed, or found by a scan
  // (CAU's UpdateInstallResult / UpdateInfo).
  std::vector<std::string> titles;
  // The updates downloaded and ready before the install (CAU's UpdateStagingResult): said
  // while installing, and kept in the round's result, which a controller may see alone.
  std::vector<std::string> staged;
  // In the results of a re-scan round the agent took itself (kRescanRequestAnnotation): the
  // result of the round before it, which ended in the reboot; one element at most. The
  // controller learns that round from here when it never saw its own result.
  std::vector<AgentResult> previous;
  // The boot the agent wrote this in (status.nodeInfo.bootID's value): whether a reboot the
  // result announces has happened is told by the Node's boot ID, even by a controller that
  // comes to it late.
  std::string boot_id;
  bool operator==(const AgentResult&) const = default;
};

// Run the script in ConfigMap `config_map` (namespace/name), key `key`, within
// `timeout_seconds`, as `run_as_user` with `service_account` (spec.hookRunner).
struct HookRequest {
  std::string token;
  std::string hook;        // "pre" or "post"
  std::string config_map;  // namespace/name
  std::string key;
  int timeout_seconds = 300;
  std::string service_account;
  std::optional<int64_t> run_as_user;
  bool operator==(const HookRequest&) const = default;
};

struct HookResult {
  std::string token;
  bool running = true;  // false once it ended
  bool succeeded = false;
  std::string message;  // e.g. the exit code and the last line of output
  bool operator==(const HookResult&) const = default;
};

std::string EncodeHookRequest(const HookRequest& request);
std::optional<HookRequest> DecodeHookRequest(const std::string& text);
std::string EncodeHookResult(const HookResult& result);
std::optional<HookResult> DecodeHookResult(const std::string& text);

std::string EncodeAgentResult(const AgentResult& result);
// nullopt when the annotation is not an AgentResult (written by something else, or garbled).
std::optional<AgentResult> DecodeAgentResult(const std::string& text);

const char* AgentStateName(AgentState state);

}  // namespace kcau::agent
