// The real kcau-agent processes of kcau-sim's `agent: real` nodes (docs/sim.md, "Real
// agents"). Each node N has, under the roots folder DIR:
//   DIR/N             its disk (sim/agent_root.h), which the agent acts chrooted into
//   DIR/N.kubeconfig  the agent's credentials: kcau-sim's server and CA, and a bearer token
//                     of this agent's own, so the audit log says which agent asked
//   DIR/N.log         the agent's standard output and error, across restarts
//   DIR/N.pid         the running agent's process ID (tests kill it to stage a crash)
//   DIR/N.metrics     the agent's --metrics-addr, 127.0.0.1:PORT: one free port per node,
//                     kept across the agent's restarts so a scraper's target stays put
// and its agent runs as `kcau-agent --node N --kubeconfig DIR/N.kubeconfig
// --request-verify-key KEY --test-root DIR/N --metrics-addr 127.0.0.1:PORT`.
//
// No agent outlives kcau-sim: each runs in a process group of its own with
// PR_SET_PDEATHSIG = SIGKILL (so even a SIGKILLed kcau-sim takes its agents along), and
// StopAll stops them on a clean exit. A node's processes are the agent's group and whatever
// runs chrooted into its root (hooks and hotfix scripts, which the agent starts in sessions
// of their own): Kill takes them all, as a reboot does, and an agent that dies on its own
// takes them along, as the container runtime reaping the pod's cgroup does.
//
// Thread-safety: PR_SET_PDEATHSIG fires when the *thread* that forked exits, so Start, Kill,
// Reap and StopAll are called from one thread that outlives the agents (kcau-sim's node
// loop, which stops them all before it ends). PrepareRoot, Tokens and WriteKubeconfigs are
// for before that thread starts.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "sim/scenario.h"

namespace kcau::sim {

struct RealAgentOptions {
  std::string binary;           // kcau-agent
  std::string roots_dir;        // DIR (must exist)
  std::string verify_key_file;  // the controller's public key(s): --request-verify-key
  std::string log_format;       // their --log-format; empty: the agent's default
};

class RealAgents {
 public:
  // One agent per name in `nodes`, each with a fresh random token.
  RealAgents(RealAgentOptions options, const std::vector<std::string>& nodes);
  ~RealAgents();  // StopAll
  RealAgents(const RealAgents&) = delete;
  RealAgents& operator=(const RealAgents&) = delete;

  bool Has(const std::string& node) const { return agents_.count(node) > 0; }
  std::string RootOf(const std::string& node) const;
  // Each agent's bearer token -> its node.
  std::map<std::string, std::string> Tokens() const;

  // Makes the node's root with `files` and `boot_id` in it: a copy of `root_template` when one
  // is given, kcau-sim's busybox layout otherwise. A root that exists is the disk of
  // a node kcau-sim already ran: kept as it is (only the boot ID written) when `reuse`
  // (kcau-sim restarted from its --state-file), refused otherwise (a new cluster must not
  // inherit an old node's journal).
  Status PrepareRoot(const std::string& node, const std::map<std::string, RootFile>& files,
                     const std::string& boot_id, bool reuse, const std::string& root_template = "");
  // DIR/N.kubeconfig for every agent (mode 0600: it holds the agent's token).
  Status WriteKubeconfigs(const std::string& server, const std::string& ca_pem);

  // Starts the node's agent unless it runs already.
  Status Start(const std::string& node);
  bool Running(const std::string& node) const;
  // SIGKILL to the agent's process group and to every process chrooted into its root; waits
  // for the agent. A no-op for the processes that are gone.
  void Kill(const std::string& node);
  // The nodes whose agent exited on its own since the last call (crashed, or killed from
  // outside); what it left running in its root is killed.
  std::vector<std::string> Reap();
  // SIGTERM to every agent, SIGKILL to what is left after `grace`, and every root emptied of
  // processes.
  void StopAll(Duration grace);

 private:
  struct Agent {
    std::string token;
    pid_t pid = -1;            // also its process group; -1 when not running
    std::string metrics_addr;  // chosen at its first start
  };

  std::string KubeconfigOf(const std::string& node) const;
  void KillRootProcesses(const std::string& node) const;

  RealAgentOptions options_;
  std::map<std::string, Agent> agents_;
};

}  // namespace kcau::sim
