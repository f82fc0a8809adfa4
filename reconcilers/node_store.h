// The controller's node cache as typed NodeViews, fed by the node informer's handler with
// every event (that informer keeps keys only, Informer::KeepKeysOnly): a Node is converted
// once per change, as it arrives, and no JSON of it is kept. At 5,000 nodes the slimmed JSON
// cache plus the views converted from it on each pass held both forms of every node.
//
// Thread-safety: every method is safe from any thread.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "kube/json.h"
#include "reconcilers/node_snapshot.h"
#include "reconcilers/node_view.h"

namespace kcau::reconcilers {

class NodeStore {
 public:
  // An informer event: ADDED or MODIFIED stores the node as it is now, DELETED forgets it.
  void Apply(const std::string& type, const kube::Json& node);
  // Every node, in name order; an error when a stored Node could not be read.
  StatusOr<std::vector<NodeView>> All() const;
  // Brings `snapshot` to what All() would return, copying only the nodes that changed since
  // it was last brought up to date (all of them when nodes came or went); the pass fields
  // of the others are cleared (ClearPassFields).
  Status Refresh(NodeSnapshot& snapshot) const;
  size_t size() const;

 private:
  struct Entry {
    NodeView view;
    uint64_t changed = 0;  // the generation of its last change
  };
  Status MalformedLocked() const;

  mutable std::mutex mu_;
  std::map<std::string, Entry> views_;            // by name; guarded by mu_
  std::map<std::string, std::string> malformed_;  // name -> why it cannot be read; guarded by mu_
  // Counts every change (starting at 1, so that a snapshot at 0 has none); `membership_` is
  // the generation of the last node added or removed. Guarded by mu_.
  uint64_t generation_ = 1;
  uint64_t membership_ = 1;
};

}  // namespace kcau::reconcilers
