// The controller's pod cache as typed values (PodView), indexed by node: what a drain and the
// per-node counts read, fed by the pod informer's handler with every event. The informer
// itself keeps only each pod's key and resourceVersion (Informer::KeepKeysOnly), which its
// relists need. 50,000 pods as slimmed JSON trees were ~1.3 KB each; kept here as their key,
// node and traits (PodViews are made when read), with the informer's keys, about 400 bytes
// (bench/scale_bench.cc measures it).
//
// Thread-safety: every method is safe from any thread.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "kube/json.h"
#include "reconcilers/pod_rules.h"

namespace kcau::reconcilers {

class PodStore {
 public:
  // An informer event: ADDED or MODIFIED stores the pod as it is now, DELETED forgets it.
  void Apply(const std::string& type, const kube::Json& pod);
  // The pods bound to `node`, in key order.
  std::vector<PodView> On(const std::string& node) const;
  // Per node, its pods that are neither DaemonSet nor mirror pods; nodes without any absent.
  std::map<std::string, int> EvictablePerNode() const;
  size_t size() const;

 private:
  // What a PodView holds besides its key and node, which the maps hold already: at 50,000
  // pods, keeping them once more in every view was a third of the store.
  struct Traits {
    bool daemon_set_or_mirror = false;
    bool terminating = false;
    bool has_controller = false;
  };

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::string> node_of_;  // "ns/name" -> node; guarded by mu_
  // node -> "ns/name" -> traits; unscheduled pods under ""; guarded by mu_.
  std::unordered_map<std::string, std::map<std::string, Traits>> by_node_;
};

}  // namespace kcau::reconcilers
