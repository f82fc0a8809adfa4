// Writes a decided UpdateRun status as a compare-and-swap on what the decision was made from,
// so a decision made from a stale read is never written (and so never acted on). Labels and
// annotations, which GitOps tools and people change at any time, never make it fail.
//
// Thread-safety: stateless; safe wherever the KubeClient is.
#pragma once

#include <string>

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
// `decided_from`, which was decoded from `read`. A change of the spec or the status since the
// read is a kConflict error: the caller decides again. Returns the run as written: its
// metadata only (PartialObjectMetadata) when the API server honours that form, which is all
// a later write in the pass (the finalizer's) may read of it.
StatusOr<kube::Json> WriteRunStatus(kube::KubeClient& client, const std::string& run_name,
                                    const crd::UpdateRun& decided_from, const kube::Json& read,
                                    const crd::UpdateRunStatus& status);

// Appends to `ops` the JSON patch operations (add, replace, remove under /status) that turn
// status `before` into `after`; entries of status.nodes that name the same nodes in the same
// order are replaced one by one. Both must be JSON objects.
void AppendStatusPatch(const kube::Json& before, const kube::Json& after, kube::Json& ops);
// The same for `after` in parts: the entries of status.nodes are encoded one at a time as
// they are compared, and only those that changed are kept (in `ops`).
void AppendStatusPatch(const kube::Json& before, const crd::StatusParts& after, kube::Json& ops);

}  // namespace kcau::reconcilers
