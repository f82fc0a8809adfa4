// Which UpdateRun spec fields the reconciler honours today. A run that sets any other field
// fails fast with reason Unsupported naming it: a field silently ignored would mean, say,
// `drain: Skip` draining anyway or `stopAfter` never stopping. Which fields those are is the
// Honoured column of the spec field table (crd/updaterun_fields.h). Pure, thread-safe.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "crd/updaterun_types.h"

namespace kcau::reconcilers {

const std::set<std::string>& SupportedSpecFields();

// The spec fields present in `spec` that the reconciler does not honour yet, sorted.
std::vector<std::string> UnsupportedFieldsIn(const crd::UpdateRunSpec& spec);

}  // namespace kcau::reconcilers
