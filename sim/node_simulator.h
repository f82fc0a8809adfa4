// Simulated nodes for kcau-sim, as a Scenario describes them: realistic Node objects (zones,
// control-plane role and taint), workloads spread over them (Deployments via ReplicaSets,
// StatefulSets, DaemonSets) behind PodDisruptionBudgets, and one simulated agent per node
// that speaks agent/protocol.h — it "installs" the updates its scenario lists for the
// requested plug-ins and "reboots" (NotReady for a while, then Ready with a new boot ID).
// Evicted workload pods come back on another schedulable node, as their controller would
// make them (a StatefulSet's under the same name).
//
// Each agent acts only on requests signed by the controller for its own node
// (agent/request_signature.h), verified with `verify_keys`; it answers any other request
// with a Failed result that says why it refused it, and never acts twice on one token, so a
// replayed request does nothing. Without keys every request is refused.
//
// A node whose scenario says `agent: real` has no simulated agent: the real kcau-agent
// (sim/real_agents.h) answers for it through the API server, acting in a root of its own.
// The node itself is still simulated: its boot IDs, Ready condition and pods. When the agent
// asks for a reboot (its root's /run/kcau-sim/reboot, looked at every 100 ms) the node goes
// NotReady, every process of it is killed, /run is emptied, and after its reboot duration a
// new boot ID is written to the root and the Node, the node is Ready, and the agent starts
// again. An agent that dies otherwise is started again a second later, as a DaemonSet's
// would be; no agent outlives Stop.
//
// Faults: a node whose update fails K times; a node that never comes back from its reboot;
// a node that comes back NotReady (for a while or for good); an agent that answers nothing;
// a PDB that blocks every eviction for a while.
// Timing runs at real speed with millisecond-configurable delays (this is the simulator's
// own runtime; kcau's code under test keeps its injected clock).
//
// Thread-safety: Start/Stop from one thread; one internal thread does all the work.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "agent/protocol.h"
#include "agent/request_signature.h"
#include "common/clock.h"
#include "common/status.h"
#include "sim/object_store.h"
#include "sim/scenario.h"

namespace kcau::sim {

class RealAgents;

class NodeSimulator {
 public:
  // `real_agents` (may be null) runs the real kcau-agent of the scenario's `agent: real`
  // nodes; it must outlive the simulator.
  NodeSimulator(ObjectStore& store, const Clock& clock, Scenario scenario,
                agent::RequestVerifyKeys verify_keys = {}, RealAgents* real_agents = nullptr);
  ~NodeSimulator();
  NodeSimulator(const NodeSimulator&) = delete;
  NodeSimulator& operator=(const NodeSimulator&) = delete;

  // Creates the nodes, workloads and PDBs. Call once, before Start.
  Status Populate();
  void Start();
  void Stop();

  // Told of every Node status write of a simulated kubelet, after it is stored: the node's
  // Ready condition, its new boot ID when it booted anew (else empty), and when the write
  // was made, taken before it reached the store, as an API server's requestReceivedTimestamp
  // (taken after it, a client that reacted to the write's watch event could appear to have
  // written first). kcau-sim records these in its audit log, as an API server logs a
  // kubelet's requests. Set before Start; called from the simulator's thread.
  using KubeletWriteObserver = std::function<void(const std::string& node, bool ready,
                                                  const std::string& new_boot_id, TimePoint made)>;
  void OnKubeletWrite(KubeletWriteObserver observer);
  // Told of every result a simulated agent writes on its Node, after it is stored, with when
  // the write was made as above (kcau-sim logs it as the agent's request). Set before Start;
  // called from the simulator's thread.
  using AgentResultObserver = std::function<void(const std::string& node,
                                                 const agent::AgentResult& result, TimePoint made)>;
  void OnAgentResult(AgentResultObserver observer);

  // Reboots each node has gone through (for tests and the demo's report).
  std::map<std::string, int> Reboots() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kcau::sim
