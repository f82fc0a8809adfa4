// Where a reconcile reads the cluster from. In the controller that is the informers' caches
// (CachedClusterSource): a pass over 5,000 nodes costs no API call, and the caches are kept
// current by watches. Tests and tools without informers read the API directly
// (ApiClusterSource). Writes never go through here: they always go to the API server.
//
// A cache may lag the reconciler's own writes by a moment. That is safe because every action
// is idempotent and every phase advances only on what is observed: a stale view only means
// "look again" (an uncordon decided again, which the reconciler does not send twice while
// the cache has not shown the first: unseen_node_writes.h; a drain that waits one more poll).
//
// Thread-safety: both implementations are safe from several workers at once.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "kube/json.h"
#include "reconcilers/node_store.h"
#include "reconcilers/node_view.h"
#include "reconcilers/pod_rules.h"
#include "reconcilers/pod_store.h"

namespace kcau::kube {
class KubeClient;
class Informer;
}  // namespace kcau::kube

namespace kcau::reconcilers {

// The pods a drain of one node must move.
struct PodsToEvict {
  int count = 0;                       // see pod_rules.h
  std::vector<std::string> unmanaged;  // "ns/name" of those without a controller
};

class ClusterSource {
 public:
  virtual ~ClusterSource() = default;
  virtual StatusOr<std::vector<NodeView>> Nodes() = 0;
  // The pods bound to `node`: what a drain reads.
  virtual StatusOr<std::vector<PodView>> PodsOn(const std::string& node) = 0;
  // Pods a drain must evict on `node` (see pod_rules.h).
  StatusOr<PodsToEvict> EvictablePodsOn(const std::string& node);
  // The same for every node at once; nodes without such pods are absent.
  virtual StatusOr<std::map<std::string, int>> EvictablePodsPerNode() = 0;
};

class ApiClusterSource : public ClusterSource {
 public:
  explicit ApiClusterSource(kube::KubeClient& client) : client_(client) {}
  StatusOr<std::vector<NodeView>> Nodes() override;
  StatusOr<std::vector<PodView>> PodsOn(const std::string& node) override;
  StatusOr<std::map<std::string, int>> EvictablePodsPerNode() override;

 private:
  kube::KubeClient& client_;
};

// Reads a NodeStore and a PodStore that the node and pod informers' handlers feed (those
// informers keep keys only; PodsOn reads one node's pods without scanning them all). The
// informers say whether the caches are synced. All four must outlive this object.
class CachedClusterSource : public ClusterSource {
 public:
  CachedClusterSource(const kube::Informer& nodes, const NodeStore& node_store,
                      const kube::Informer& pods, const PodStore& pod_store)
      : nodes_(nodes), node_store_(node_store), pods_(pods), pod_store_(pod_store) {}
  StatusOr<std::vector<NodeView>> Nodes() override;
  StatusOr<std::vector<PodView>> PodsOn(const std::string& node) override;
  StatusOr<std::map<std::string, int>> EvictablePodsPerNode() override;

 private:
  const kube::Informer& nodes_;
  const NodeStore& node_store_;
  const kube::Informer& pods_;
  const PodStore& pod_store_;
};

}  // namespace kcau::reconcilers
