// Simulated nodes for kcau-sim: realistic Node objects, a web workload spread over them
// (ReplicaSet pods behind a PodDisruptionBudget) and a DaemonSet pod per node, and one
// simulated agent per node that speaks agent/protocol.h — it "installs updates" when asked
// and "reboots" (NotReady for a while, then Ready with a new boot ID). Evicted workload pods
// come back on another schedulable node, as their ReplicaSet would make them.
//
// Faults: a node whose update fails K times; a node that never comes back from its reboot.
// Timing runs at real speed with millisecond-configurable delays (this is the simulator's
// own runtime; kcau's code under test keeps its injected clock).
//
// Thread-safety: Start/Stop from one thread; one internal thread does all the work.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/status.h"
#include "sim/object_store.h"

namespace kcau::sim {

struct SimulationConfig {
  int nodes = 3;
  int pods_per_node = 2;     // web pods per node (plus one DaemonSet pod each)
  int updates_per_node = 3;  // what the packages plug-in "installs"
  std::chrono::milliseconds update_delay{1000};
  std::chrono::milliseconds reboot_delay{2000};
  std::chrono::milliseconds pod_restart_delay{300};
  std::map<std::string, int> fail_updates;  // node -> update attempts that fail
  std::set<std::string> never_return;       // nodes whose reboot never finishes
};

class NodeSimulator {
 public:
  NodeSimulator(ObjectStore& store, const Clock& clock, SimulationConfig config);
  ~NodeSimulator();
  NodeSimulator(const NodeSimulator&) = delete;
  NodeSimulator& operator=(const NodeSimulator&) = delete;

  // Creates the nodes, workloads and PDB. Call once, before Start.
  Status Populate();
  void Start();
  void Stop();

  // Reboots each node has gone through (for tests and the demo's report).
  std::map<std::string, int> Reboots() const;

  static std::string NodeName(int index) { return "node-" + std::to_string(index); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kcau::sim
