// Writes a decided UpdateRun status as a compare-and-swap on what the decision was made from,
// so a decision made from a stale read is never written (and so never acted on). Labels and
// annotations, which GitOps tools and people change at any time, never make it fail.
//
// Thread-safety: stateless; safe wherever the KubeClient is.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/status.h"
#include "crd/updaterun_codec.h"
#include "crd/updaterun_types.h"
#include "kube/json.h"

namespace kcau::kube {
class KubeClient;
}

namespace kcau::reconcilers {

// Rewrites of a decided status after a 409 caused by a metadata-only change.
inline constexpr int kStatusMetadataRewrites = 3;

// Writes `status` (its revision one above the one read) for run `run_name`, decided from
// `decided_from`, which was decoded from `read`; `read` without its status.nodes (taken out
// by TakeStatusNodes, which counted `read_listed_nodes`). A change of the spec or the status
// since the
// read is a kConflict error: the caller decides again. Returns the run as written: its
// metadata only (PartialObjectMetadata) when the API server honours that form, which is all
// a later write in the pass (the finalizer's) may read of it.
StatusOr<kube::Json> WriteRunStatus(kube::KubeClient& client, const std::string& run_name,
                                    const crd::UpdateRun& decided_from, const kube::Json& read,
                                    size_t read_listed_nodes, const crd::UpdateRunStatus& status);

// Takes status.nodes out of a run as read and returns how many entries it listed: a pass
// keeps the rest of the tree, and the entries are in the decoded run, first and in their
// order (the decoder puts them there), which is all a status write needs of them
// (WriteRunStatus). At 5,000 nodes the entries' tree is over 2 MB.
size_t TakeStatusNodes(kube::Json& run);

// Appends to `ops` the JSON patch operations (add, replace, remove under /status) that turn
// status `before` into `after`; entries of status.nodes that name the same nodes in the same
// order are replaced one by one. Both must be JSON objects.
void AppendStatusPatch(const kube::Json& before, const kube::Json& after, kube::Json& ops);
// The same for `before` without its status.nodes, whose `before_listed` entries were decoded
// into the first of `before_nodes`; and `after` in parts. The entries are compared decoded,
// and only those that changed are encoded (crd::StatusParts).
void AppendStatusPatch(const kube::Json& before, size_t before_listed,
                       const std::vector<crd::NodeResult>& before_nodes,
                       const crd::StatusParts& after, kube::Json& ops);

}  // namespace kcau::reconcilers
