// UpdateRun <-> JSON, exactly as the API server stores it. Decoding checks every field's
// type and names the JSON path of the first problem ("spec.maxRetriesPerNode: expected
// integer, got string"); unknown spec fields are refused, as strict field validation would.
// The spec's fields are those of the field table (crd/updaterun_fields.h).
// Encoding writes camelCase, RFC 3339 times, and omits empty optionals so a 5,000-node
// status stays compact.
// Pure functions, thread-safe.
#pragma once

#include <cpprest/json.h>

#include <optional>
#include <string>

#include "common/status.h"
#include "crd/names.h"
#include "crd/updaterun_types.h"

namespace kcau::crd {

StatusOr<UpdateRun> DecodeUpdateRun(const web::json::value& object);
StatusOr<UpdateRunSpec> DecodeUpdateRunSpec(const web::json::value& spec);
StatusOr<UpdateRunStatus> DecodeUpdateRunStatus(const web::json::value& status);

web::json::value EncodeUpdateRunSpec(const UpdateRunSpec& spec);

// Above this many nodes, status.nodes keeps only the nodes with something to say; those that
// updated without remark are grouped by (attempts, updatesInstalled, rebooted) into
// status.succeededNodes[].names (their times are in the NodeUpdated Events and the run's
// completionTime), and the nodes skipped with nothing to install are listed in
// status.upToDateNodes. The decoder expands them back into NodeResults, after the others.
// A 5,000-node run's status stays under 512 KiB (codec_test measures it).
inline constexpr size_t kCompactSucceededAbove = 500;

web::json::value EncodeUpdateRunStatus(const UpdateRunStatus& status);

// A status encoded in two parts, for a writer that sends only what changed: `head` is the
// status without its "nodes" array, and `listed` the results that array lists, in its order
// (pointers into the status encoded), each encoded by EncodeNodeResult when it is compared.
// At 5,000 nodes the whole tree is ~2 MB that a patch of a few entries never needed.
// EncodeUpdateRunStatus is `head` with "nodes" made of `listed`, when there are any.
struct StatusParts {
  web::json::value head;
  std::vector<const NodeResult*> listed;
};
StatusParts EncodeUpdateRunStatusParts(const UpdateRunStatus& status);
web::json::value EncodeNodeResult(const NodeResult& result);

}  // namespace kcau::crd
