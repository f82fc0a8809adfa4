// What changed for the nodes of one run between the status a pass read and the status it
// decided, as the metrics count it: nodes that ended (and how long they took), how long a
// phase that ended lasted (Draining, Updating, Rebooting), reboots, and how node agents
// answered their requests, and how long a node's block (status.nodes[].blocked) lasted once
// it ended. Derived from the status and the pass's Events only, so a status compared with
// itself yields nothing: each transition is seen once, in the pass that made it.
//
// Phases a node passes through within one pass (a drain with nothing to evict, a reboot
// over before the install was seen to end) leave no trace in the status and are not timed.
//
// Pure functions over values, thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "crd/updaterun_types.h"
#include "reconcilers/rollout_planner.h"

namespace kcau::controller {

struct NodeTransitions {
  int succeeded = 0;
  int failed = 0;
  int skipped = 0;
  int reboots = 0;
  std::vector<double> drain_seconds;
  std::vector<double> install_seconds;
  std::vector<double> reboot_seconds;
  std::vector<std::pair<std::string, double>> update_seconds;   // result, seconds
  std::vector<std::pair<std::string, double>> blocked_seconds;  // reason, seconds
  int answers_installed = 0;
  int answers_scanned = 0;
  int answers_failed = 0;
  int agent_timeouts = 0;

  bool operator==(const NodeTransitions&) const = default;
};

NodeTransitions DiffNodes(const crd::UpdateRunStatus& before, const crd::UpdateRunStatus& after,
                          const std::vector<reconcilers::RunEvent>& events);

}  // namespace kcau::controller
