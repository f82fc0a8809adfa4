// What the last drain of each node learned: the pods whose eviction a PodDisruptionBudget
// refused, each with its budget. The API server says this only in the 429 of an eviction,
// and the planner decides in the next pass, so the reconciler keeps it between passes and
// hands it to the planner in NodeView::eviction_refusals (status then names the pods and
// budgets: crd::Blocked). It is observation, not state that decisions rest on: a restarted
// controller has none until its next drain attempt of the node, a poll later.
//
// Thread-safety: every method is safe from several workers at once.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "reconcilers/node_view.h"

namespace kcau::reconcilers {

class EvictionRefusals {
 public:
  // The last drain of each node in `by_node` (refusals, empty when every eviction went).
  void Record(const std::string& run,
              const std::map<std::string, std::vector<std::string>>& by_node);
  // Fills eviction_refusals of `run`'s nodes from what their last drain learned.
  void Fill(const std::string& run, std::vector<NodeView>& nodes) const;
  // The run ended or went: nothing of it is kept.
  void Forget(const std::string& run);

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, std::vector<std::string>>> runs_;  // guarded by mu_
};

}  // namespace kcau::reconcilers
