// The controller's pod cache as typed values (PodView), indexed by node: what a drain and the
// per-node counts read, fed by the pod informer's handler with every event. It is also the
// informer's record of keys and resourceVersions (kube::VersionedKeys, Informer::KeysKeptBy),
// so every pod's key is held once. Each pod is kept as its key (an exact-size allocation),
// its resourceVersion (a number), its node (a number) and three traits; PodViews are made
// when read: 126 bytes a pod at 50,000 pods (bench/scale_bench.cc measures it), where slimmed
// JSON trees were ~1.3 KB.
//
// Thread-safety: every method is safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/frozen_string.h"
#include "kube/json.h"
#include "kube/versioned_keys.h"
#include "reconcilers/pod_rules.h"

namespace kcau::reconcilers {

class PodStore : public kube::VersionedKeys {
 public:
  // An informer event: ADDED or MODIFIED stores the pod as it is now, DELETED forgets it.
  void Apply(const std::string& type, const kube::Json& pod);
  // The pods bound to `node`, in key order.
  std::vector<PodView> On(const std::string& node) const;
  // Per node, its pods that are neither DaemonSet nor mirror pods; nodes without any absent.
  std::map<std::string, int> EvictablePerNode() const;

  // kube::VersionedKeys: keys are "namespace/name".
  std::optional<std::string> VersionOf(const std::string& key) const override;
  void ForEachKey(const std::function<void(const std::string& key, const std::string& version)>&
                      visit) const override;
  size_t size() const override;

 private:
  // What a PodView holds besides its key and node.
  struct Traits {
    bool daemon_set_or_mirror : 1 = false;
    bool terminating : 1 = false;
    bool has_controller : 1 = false;
    // The resourceVersion was not a decimal number: it is in text_versions_, not `version`.
    bool text_version : 1 = false;
  };
  struct Pod {
    // The resourceVersion as a number: what API servers write (etcd's revision), in 8 bytes
    // where its text took 32. The API calls versions opaque, so any other text is kept too.
    uint64_t version = 0;
    uint32_t node = 0;  // an index into node_names_; 0 is "", unscheduled
    Traits traits;
  };
  // By "ns/name".
  using Pods = std::unordered_map<FrozenString, Pod, FrozenString::Hash, FrozenString::Equal>;
  using Entry = Pods::value_type;

  uint32_t NodeIdLocked(const std::string& node);
  void UnindexLocked(const Entry& pod);
  void SetVersionLocked(Entry& pod, const std::string& version);
  std::string VersionLocked(const Entry& pod) const;

  mutable std::mutex mu_;
  Pods pods_;  // guarded by mu_
  // The resourceVersions that are not decimal numbers, by entry. Guarded by mu_.
  std::unordered_map<const Entry*, std::string> text_versions_;
  // Node names by number, and numbers by name: 5,000 names held once, not once per pod.
  // A number outlives its node's pods (at most one per node ever seen). Guarded by mu_.
  std::vector<std::string> node_names_{""};
  std::unordered_map<std::string, uint32_t> node_ids_{{"", 0}};
  // Per node number, its pods: pointers into pods_, whose elements never move. Guarded by mu_.
  std::vector<std::vector<const Entry*>> on_node_{1};
};

}  // namespace kcau::reconcilers
