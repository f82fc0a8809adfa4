// A small model of a cluster whose agents obey the planner: applying an action changes the
// nodes the way the real ones would, so whole runs can be driven without any network.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "reconcilers/conditions.h"
#include "reconcilers/rollout_planner.h"
#include "tests/unit/reconcilers/builders.h"

namespace kcau::reconcilers {
inline void PrintTo(const NodeAction& a, std::ostream* os) {
  *os << "{" << static_cast<int>(a.type) << " " << a.node << " " << a.token << "}";
}
}  // namespace kcau::reconcilers

namespace kcau::reconcilers::testing {

inline const TimePoint kStart = WallClock::from_time_t(1800000000);

// PlanRollout as the controller calls it, with this build's version as the controller's.
inline RolloutDecision PlanRollout(const crd::UpdateRun& run, const std::vector<NodeView>& nodes,
                                   TimePoint now, const ElapsedFn& elapsed) {
  return reconcilers::PlanRollout(run, nodes, now, elapsed, KCAU_VERSION);
}
// The same with elapsed time read off the wall clock (now - then): for tests of everything
// but clock steps.
inline RolloutDecision PlanRollout(const crd::UpdateRun& run, const std::vector<NodeView>& nodes,
                                   TimePoint now) {
  const ElapsedFn by_wall_clock = [now](TimePoint then) {
    return std::chrono::duration_cast<Duration>(now - then);
  };
  return PlanRollout(run, nodes, now, by_wall_clock);
}

inline const crd::NodeResult& NodeIn(const crd::UpdateRunStatus& st, const std::string& name) {
  for (const auto& r : st.nodes) {
    if (r.name == name) return r;
  }
  static crd::NodeResult missing;
  ADD_FAILURE() << "no node " << name << " in status";
  return missing;
}

inline std::string ConditionReason(const crd::UpdateRunStatus& st, const char* type) {
  const crd::Condition* c = FindCondition(st.conditions, type);
  return c == nullptr ? "<none>" : c->status + "/" + c->reason;
}

inline bool InFlight(crd::NodePhase p) {
  using crd::NodePhase;
  return p != NodePhase::kPending && p != NodePhase::kSucceeded && p != NodePhase::kFailed &&
         p != NodePhase::kSkipped;
}

// Taken out of service by an update run: in flight past the scan that comes before it (a
// node being scanned is not unavailable, so maxUnavailable does not count it).
inline bool Taken(crd::NodePhase p) { return InFlight(p) && p != crd::NodePhase::kScanning; }

struct World {
  std::map<std::string, NodeView> nodes;
  std::map<std::string, int> reboots;
  std::map<std::string, int> fail_updates;   // node -> attempts that fail
  std::map<std::string, int> pdb_protected;  // node -> pods no eviction removes
  std::set<std::string> never_returns;
  bool scan = false;     // agents answer requests as scans (the run's mode is Scan)
  int plugin_count = 1;  // the run's plug-ins: each finds 4 updates once per node
  std::map<std::string, std::set<int>> installed;  // node -> plug-in indices installed
  std::map<std::string, int> after_reboot;         // node -> updates that show after a reboot
  std::set<std::string> endless;          // nodes that find one more update after every reboot
  std::map<std::string, int> fail_hooks;  // node -> hook runs that fail (pre and post)
  std::set<std::string> silent_hooks;     // nodes whose hooks never answer
  std::set<std::string> silent_agents;    // nodes whose agent answers no request at all
  std::set<std::string> silent_installs;  // nodes whose agent scans but never takes an install
  std::map<std::string, int> unanswered_installs;  // node -> install requests ignored first
  // Nodes whose agent does not begin the re-scan round a request names (an agent that lost
  // its journal): the run asks for it itself after kSelfRescanGrace.
  std::set<std::string> no_self_rescan;
  std::string reboot_kind = "full";  // what the agents say they did
  std::string reboot_message;
  std::vector<NodeAction> log;

  // What an install request for every plug-in would find on `node` now.
  int PendingUpdates(const std::string& node) const {
    int found = 0;
    const auto done = installed.find(node);
    for (int p = 0; p < plugin_count; ++p) {
      if (done == installed.end() || !done->second.count(p)) found += 4;
    }
    const auto rebooted = reboots.find(node);
    if (rebooted != reboots.end() && rebooted->second > 0) {
      const auto extra = after_reboot.find(node);
      if (extra != after_reboot.end()) found += extra->second;
      if (endless.count(node)) found += 1;
    }
    return found;
  }

  std::vector<NodeView> View() const {
    std::vector<NodeView> v;
    for (const auto& [_, n] : nodes) v.push_back(n);
    return v;
  }

  int Count(ActionType type, const std::string& node = "") const {
    int n = 0;
    for (const auto& a : log) n += a.type == type && (node.empty() || a.node == node) ? 1 : 0;
    return n;
  }

  // An install of `plugin` (-1: every plug-in) on `n`, answered under `token`: what it
  // finds is installed, and the node reboots when it needs to (or `force`).
  agent::AgentResult Install(NodeView& n, const std::string& token, int plugin, bool force) {
    agent::AgentResult r;
    r.token = token;
    r.state = agent::AgentState::kInstalled;
    r.boot_id = n.boot_id;
    int found = 0;
    for (int p = 0; p < plugin_count; ++p) {
      if ((plugin < 0 || plugin == p) && installed[n.name].insert(p).second) found += 4;
    }
    if (reboots[n.name] > 0) found += std::exchange(after_reboot[n.name], 0);
    if (reboots[n.name] > 0 && endless.count(n.name)) found += 1;
    r.updates_installed = found;
    for (int k = 0; k < found; ++k) r.titles.push_back("fix " + std::to_string(k + 1));
    r.reboot_required = found > 0 || force;
    if (!r.reboot_required) return r;
    r.reboot_kind = reboot_kind;
    r.message = reboot_message;
    if (!never_returns.count(n.name)) {
      ++reboots[n.name];
      n.boot_id = n.name + "-boot-" + std::to_string(reboots[n.name] + 1);
    } else {
      n.ready = false;
    }
    return r;
  }

  void Apply(const std::vector<NodeAction>& actions) {
    for (const auto& a : actions) {
      log.push_back(a);
      if (a.type == ActionType::kRollAgents) {
        // The DaemonSet rolls: each agent restarts at the new version.
        for (auto& [_, node] : nodes) {
          if (!node.agent_version.empty()) node.agent_version = a.token;
        }
        continue;
      }
      NodeView& n = nodes.at(a.node);
      switch (a.type) {
        case ActionType::kCordon:
          n.unschedulable = true;
          n.cordoned_by = a.token;
          break;
        case ActionType::kUncordon:
          n.unschedulable = false;
          n.cordoned_by.clear();
          break;
        case ActionType::kDrain:
          n.evictable_pods = std::min(n.evictable_pods, pdb_protected[a.node]);
          break;
        case ActionType::kForceDrain:
          n.evictable_pods = 0;
          break;
        case ActionType::kRollAgents:
          break;  // handled above: it concerns every node
        case ActionType::kFailback:
          break;  // other nodes' pods: not modelled here
        case ActionType::kWithdrawRequest:
          n.request_token.clear();
          n.rescan_request_token.clear();
          break;
        case ActionType::kRunHook: {
          n.hook_request_token = a.token;
          if (silent_hooks.count(a.node)) break;
          const bool fails = fail_hooks[a.node] > 0;
          if (fails) --fail_hooks[a.node];
          n.hook_result =
              agent::HookResult{a.token, false, !fails, fails ? "exit code 3" : "exit code 0"};
          break;
        }
        case ActionType::kRequestUpdate: {
          n.request_token = a.token;
          n.rescan_request_token = a.rescan_token;
          if (silent_agents.count(a.node) || (!a.scan && silent_installs.count(a.node))) break;
          if (!a.scan && unanswered_installs[a.node] > 0) {
            --unanswered_installs[a.node];
            break;
          }
          agent::AgentResult r;
          r.token = a.token;
          if (scan) {
            r.state = agent::AgentState::kScanned;
            r.updates_found = static_cast<int>(a.node.size());  // any stable, distinct count
          } else if (a.scan) {
            // The scan before a node is taken: what an install would find, installing nothing.
            r.state = agent::AgentState::kScanned;
            r.updates_found = PendingUpdates(a.node);
          } else if (fail_updates[a.node] > 0) {
            --fail_updates[a.node];
            r.state = agent::AgentState::kFailed;
            r.message = "package manager exited 100";
          } else {
            r = Install(n, a.token, a.plugin, a.force_reboot);
            // Back from the reboot, the agent begins the re-scan round the request named
            // (at once here: the run sees that round, with this one inside it).
            if (r.reboot_required && n.ready && !a.rescan_token.empty() &&
                !no_self_rescan.count(a.node)) {
              agent::AgentResult rescan = Install(n, a.rescan_token, a.plugin, false);
              rescan.previous = {r};
              r = rescan;
            }
          }
          n.agent_result = r;
          break;
        }
      }
    }
  }
};

// Worker nodes w1..wN with `pods` evictable pods each.
inline World Workers(int n, int pods = 1) {
  World w;
  for (int i = 1; i <= n; ++i) {
    NodeView v = MakeNode("w" + std::to_string(i)).Pods(pods);
    w.nodes[v.name] = v;
  }
  return w;
}

inline World ThreeNodes() {
  World w;
  for (const NodeView& n : {NodeView(MakeNode("n1").Pods(3)), NodeView(MakeNode("n2").Pods(1)),
                            NodeView(MakeNode("n3").Pods(2))}) {
    w.nodes[n.name] = n;
  }
  return w;
}

// Runs passes until the run ends; each pass writes the planner's status back, as the
// driver does, checks that planning again changes nothing, and moves time as the
// controller's wake-ups would. `each_pass` sees every status
// written (for invariants such as "never more than N in flight").
inline crd::UpdateRun Drive(
    crd::UpdateRun run, World& w, TimePoint& now, int max_passes = 200,
    const std::function<void(const crd::UpdateRunStatus&)>& each_pass = nullptr) {
  for (int i = 0; i < max_passes; ++i) {
    RolloutDecision d = PlanRollout(run, w.View(), now);
    // Idempotence: the same run and world at the same instant decide the same status.
    crd::UpdateRun replanned = run;
    replanned.status = d.status;
    EXPECT_EQ(PlanRollout(replanned, w.View(), now).status, d.status) << "pass " << i;
    run.status = d.status;
    if (each_pass) each_pass(run.status);
    if (d.terminal) return run;
    w.Apply(d.actions);
    // An action changes a node, and the node's watch event wakes the run at once; with
    // nothing done, the run sleeps until its timer.
    now += d.actions.empty() ? d.requeue_after.value_or(std::chrono::seconds(1))
                             : std::min<Duration>(std::chrono::seconds(1),
                                                  d.requeue_after.value_or(std::chrono::hours(1)));
  }
  ADD_FAILURE() << "run did not end in " << max_passes << " passes";
  return run;
}

// Plans and applies passes at `now` until `node` reaches `phase` (or `max_passes` ran).
inline void StepUntil(crd::UpdateRun& run, World& w, TimePoint now, const std::string& node,
                      crd::NodePhase phase, int max_passes = 10) {
  for (int i = 0; i < max_passes; ++i) {
    RolloutDecision d = PlanRollout(run, w.View(), now);
    run.status = d.status;
    w.Apply(d.actions);
    if (NodeIn(run.status, node).phase == phase) return;
  }
}

// Passes at `now` until `node` is in `phase` at `round`; the decision that got it there.
inline RolloutDecision PlanUntil(crd::UpdateRun& run, World& w, TimePoint now,
                                 const std::string& node, crd::NodePhase phase, int round) {
  RolloutDecision d;
  for (int i = 0; i < 20; ++i) {
    d = PlanRollout(run, w.View(), now);
    run.status = d.status;
    w.Apply(d.actions);
    const auto& r = NodeIn(run.status, node);
    if (r.phase == phase && r.round == round) return d;
  }
  ADD_FAILURE() << node << " never reached that phase and round";
  return d;
}

}  // namespace kcau::reconcilers::testing
