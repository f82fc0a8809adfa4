// The controller's node cache as typed NodeViews, fed by the node informer's handler with
// every event: a Node is converted once per change, as it arrives, and no JSON of it is kept.
// At 5,000 nodes the slimmed JSON cache plus the views converted from it on each pass held
// both forms of every node. It is also that informer's record of keys and resourceVersions
// (kube::VersionedKeys, Informer::KeysKeptBy), so the informer keeps none of its own.
// Each view is kept compact (Stored: its strings in exact-size allocations, without what a
// pass fills in) and made whole when read: ~200 bytes a node less than a NodeView.
//
// Thread-safety: every method is safe from any thread.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/frozen_string.h"
#include "common/status.h"
#include "kube/json.h"
#include "kube/versioned_keys.h"
#include "reconcilers/node_view.h"

namespace kcau::reconcilers {

class NodeStore : public kube::VersionedKeys {
 public:
  // An informer event: ADDED or MODIFIED stores the node as it is now, DELETED forgets it.
  // `seen`, when set, is shown the view stored, after it is.
  void Apply(const std::string& type, const kube::Json& node,
             const std::function<void(const NodeView&)>& seen = {});
  // Every node, in name order; an error when a stored Node could not be read.
  StatusOr<std::vector<NodeView>> All() const;

  // kube::VersionedKeys: keys are "/name", as for any cluster-scoped object.
  std::optional<std::string> VersionOf(const std::string& key) const override;
  void ForEachKey(const std::function<void(const std::string& key, const std::string& version)>&
                      visit) const override;
  // The nodes stored, malformed ones included.
  size_t size() const override;

 private:
  // A NodeView as NodeViewFromJson makes it, less its name (the key) and the fields a pass
  // fills in (evictable_pods, unmanaged_pods, eviction_refusals).
  struct Stored {
    explicit Stored(const NodeView& view);
    NodeView View(const std::string& name) const;

    NodeLabels labels;
    SharedOptional<agent::AgentResult> agent_result;
    SharedOptional<agent::HookResult> hook_result;
    std::vector<std::string> pressure;
    FrozenString boot_id;
    FrozenString request_token;
    FrozenString rescan_request_token;
    FrozenString cordoned_by;
    FrozenString agent_version;
    FrozenString hook_request_token;
    FrozenString resource_version;
    bool ready;
    bool unschedulable;
  };
  struct Malformed {
    std::string why;  // why it cannot be read
    std::string resource_version;
  };
  mutable std::mutex mu_;
  std::map<std::string, Stored> views_;         // by name; guarded by mu_
  std::map<std::string, Malformed> malformed_;  // by name; guarded by mu_
};

}  // namespace kcau::reconcilers
