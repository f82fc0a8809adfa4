// The uncordons the controller makes as soon as a node's last round ends, without waiting
// for its run's next pass. At 5,000 nodes a pass reads and decides over the whole run, and
// a node whose agent had ended waited for the pass in progress and the next (~0.3 s p50,
// ~1 s p99 on two busy cores) before going back into service. Each pass says which of its
// nodes are one clean result away from their uncordon (RolloutDecision::uncordon_on_result);
// the node cache's handler shows every new NodeView here, and one that has reached it
// (UncordonDue) is due now. A node may be expected two ways (its round ends clean, or it
// reboots and the re-scan round after it does); once one is due, both are done.
//
// Acting before the status says so is safe because the uncordon is what every later pass
// decides for that node too (its phase in status, Updating under the round's token,
// announces it; a stopped or failing run brings its nodes back the same way), it is
// idempotent, and a restarted controller decides it again from what it observes. An
// expectation is taken once. They stand for the status last written: the pass that writes
// (or keeps) its run's status replaces them before it acts, and a pass that ends before that
// (a conflict, an error, an invalid run) drops them (UpdateRunReconciler::ReconcileOnce).
//
// Thread-safety: every method is safe from any thread (one mutex).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "crd/updaterun_types.h"
#include "reconcilers/node_view.h"
#include "reconcilers/rollout_planner.h"

namespace kcau::reconcilers {

class PromptUncordons {
 public:
  // What a pass of `run` expects now (its earlier expectations go), with the spec its node
  // actions are applied under.
  void Expect(const std::string& run, const std::vector<UncordonOnResult>& expected,
              std::shared_ptr<const crd::UpdateRunSpec> spec);
  // The run ended or went.
  void Forget(const std::string& run);

  struct Due {
    std::string run;
    NodeAction uncordon;
    std::shared_ptr<const crd::UpdateRunSpec> spec;
  };
  // `node` as the cache has it now: its uncordon, once, if it is due.
  std::optional<Due> Seen(const NodeView& node);

 private:
  struct Expected {
    std::string run;
    UncordonOnResult on;
    std::shared_ptr<const crd::UpdateRunSpec> spec;
  };
  std::mutex mu_;
  std::multimap<std::string, Expected> by_node_;  // a node's, at most two; guarded by mu_
};

}  // namespace kcau::reconcilers
