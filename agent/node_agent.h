// kcau-agent's work on its own Node: announce the agent's version, then on every change of
// the Node answer the update, scan and hook requests written there (UpdateHandler,
// HookHandler), publishing results as the Node's annotations (agent/protocol.h). Everything
// it does to the machine goes through Host; everything it knows of the cluster comes from
// its own Node and the hook ConfigMaps.
//
// Thread-safety: Sync is called from one worker thread; Wake from any.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>

#include "agent/hook_handler.h"
#include "agent/host.h"
#include "agent/journal.h"
#include "agent/update_handler.h"
#include "common/status.h"

namespace kcau::kube {
class KubeClient;
}
namespace kcau::metrics {
struct AgentMetrics;
}

namespace kcau::agent {

class NodeAgent {
 public:
  // `metrics` (may be null) gets kcau_agent_results_total{request, state}: every answer the
  // agent publishes, by request kind and state.
  NodeAgent(kube::KubeClient& client, std::string node, Host& host, const RequestVerifyKeys& keys,
            PluginFactory plugins, const std::string& state_dir,
            metrics::AgentMetrics* metrics = nullptr);
  NodeAgent(const NodeAgent&) = delete;
  NodeAgent& operator=(const NodeAgent&) = delete;

  // kcau.io/agent-version on the Node: an agent answers here (the controller's pre-flight
  // check looks for it).
  Status Announce(const std::string& version);
  // Reads the Node and answers what it asks; a no-op when nothing is new.
  Status Sync();

  // The worker loop: Sync on every Wake, and every `resync` anyway, until Stop.
  void Run(Duration resync);
  void Wake();
  void Stop();

 private:
  Status PublishAnnotation(const std::string& key, const std::string& value);
  void Count(const char* request, const std::string& state);

  kube::KubeClient& client_;
  const std::string node_;
  metrics::AgentMetrics* metrics_;
  Journal update_journal_;
  Journal hook_journal_;
  UpdateHandler updates_;
  HookHandler hooks_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;     // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
};

}  // namespace kcau::agent
