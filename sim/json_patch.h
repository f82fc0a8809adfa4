// The three patch formats the API server accepts: JSON merge patch (RFC 7386), JSON patch
// (RFC 6902) and the strategic merge patch kubectl sends for built-in kinds (a merge patch
// whose lists of known shape merge by key: conditions by type, containers by name).
// Pure functions, thread-safe.
#pragma once

#include <cpprest/json.h>

#include "common/status.h"

namespace kcau::sim {

web::json::value ApplyMergePatch(const web::json::value& target, const web::json::value& patch);
StatusOr<web::json::value> ApplyJsonPatch(const web::json::value& target,
                                          const web::json::value& patch);
StatusOr<web::json::value> ApplyStrategicMergePatch(const web::json::value& target,
                                                    const web::json::value& patch);

}  // namespace kcau::sim
