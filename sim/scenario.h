// A kcau-sim scenario: the cluster to simulate (nodes, workloads with their budgets) and the
// faults to stage, read from a YAML file (`kcau-sim --scenario FILE`; format in docs/sim.md).
// The command-line flags build the same structure (DefaultScenario), so there is one model.
//
// A malformed file is refused whole, with file:line:column, the field's path and the
// problem ("cluster.yaml:12:15: nodes[1].updateDuration: \"fast\" is not a duration").
// Pure data and parsing; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace kcau::sim {

using Millis = std::chrono::milliseconds;

// Who answers a node's requests: kcau-sim's own simulated agent, or the real kcau-agent
// binary (kcau-sim --real-agents) acting chrooted into a root of the node's own.
enum class AgentKind { kSimulated, kReal };

// A file a scenario puts into a real agent's root before its agent first starts.
struct RootFile {
  std::string content;
  uint32_t mode = 0644;
  bool operator==(const RootFile&) const = default;
};

struct NodeScenario {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string zone;            // topology.kubernetes.io/zone; empty: none
  bool control_plane = false;  // node-role.kubernetes.io/control-plane + NoSchedule taint
  // Updates the agent finds per plug-in name; a plug-in not listed finds none.
  std::map<std::string, int> updates = {{"packages", 3}};
  Millis update_duration{1000};
  Millis reboot_duration{2000};
  bool reboot_required = true;  // installing updates asks for a reboot
  // Updates that only show after the first reboot (found by the next request's first
  // plug-in), as a restart-time dependency does.
  int updates_after_reboot = 0;
  // Its updates include firmware: a soft reboot (kexec) cannot apply them, a full one must.
  bool firmware_updates = false;
  // What an OS rolling upgrade (osRollingUpgrade) installs: status.nodeInfo after it.
  std::string os_upgrade_image = "Debian GNU/Linux 13 (trixie)";
  std::string os_upgrade_kernel = "6.12.0-1-amd64";
  AgentKind agent = AgentKind::kSimulated;
  // agent: real only: path in the node's root -> what to write there (sentinels such as
  // /run/reboot-required, a hotfix folder for the script plug-in).
  std::map<std::string, RootFile> files;
  // agent: real only: an absolute path to a directory (a Debian root, say) copied as the
  // node's root instead of kcau-sim's busybox layout; empty: the busybox layout.
  std::string root_template;
  // Faults.
  int fail_updates = 0;                      // the first K update attempts fail
  bool no_agent = false;                     // no kcau agent runs here (no kcau.io/agent-version)
  bool agent_silent = false;                 // its agent is there but answers no request (hung)
  std::string agent_version = KCAU_VERSION;  // what its agent reports (an old one: older)
  bool disk_pressure = false;                // the node reports DiskPressure
  std::string fail_plugin;     // this plug-in always fails (stopOnPluginFailure decides the rest)
  bool never_returns = false;  // the reboot never finishes (stays NotReady, old boot ID)
  // Comes back from the reboot with a new boot ID but NotReady, for this long (then Ready);
  // nullopt: Ready at once.
  std::optional<Millis> not_ready_after_reboot;
  bool not_ready_forever = false;  // with the above: stays NotReady
};

enum class WorkloadKind { kDeployment, kStatefulSet, kDaemonSet };

struct WorkloadScenario {
  WorkloadKind kind = WorkloadKind::kDeployment;
  std::string name;
  std::string ns = "default";
  int replicas = 1;  // ignored for DaemonSets (one pod per node)
  // PodDisruptionBudget over the workload's pods: "2" or "50%"; at most one of the two.
  std::optional<std::string> pdb_min_available;
  std::optional<std::string> pdb_max_unavailable;
  // Fault: the PDB allows no disruption at all for this long after start, then the budget
  // above applies (a workload that is briefly unable to lose a pod).
  Millis pdb_blocks_for{0};
  // Its pods carry kcau.io/failback: "true" (failbackMode Policy spreads them back).
  bool failback = false;
};

struct ApiFaults {
  double fail_fraction = 0;  // of resource requests, answered with one of fail_codes
  // Each failed request draws one (500, or 429 with Retry-After); a code listed twice is
  // drawn twice as often.
  std::vector<int> fail_codes = {500};
  int cut_watches_seconds = 0;  // every watch ends after this long (0: the default 30 min)
};

struct Scenario {
  std::vector<NodeScenario> nodes;
  std::vector<WorkloadScenario> workloads;
  ApiFaults api;
  Millis pod_restart_delay{300};  // an evicted pod's replacement appears after this
};

// What the flags without --scenario describe: `nodes` nodes named node-1..N over three
// zones, a Deployment "web" (pods_per_node pods per node) behind a PDB of maxUnavailable 1,
// and a DaemonSet "node-exporter".
Scenario DefaultScenario(int nodes, int pods_per_node);

StatusOr<Scenario> ParseScenario(const std::string& yaml_text, const std::string& file_name);
StatusOr<Scenario> LoadScenario(const std::string& path);

const char* WorkloadKindName(WorkloadKind kind);

// `--fail-code`'s value: "500", "429" or a comma-separated mix such as "500,429".
StatusOr<std::vector<int>> ParseFailCodes(const std::string& text);

}  // namespace kcau::sim
