// How the API server prints core/v1 Events as a Table (what `kubectl get events` shows):
// LAST SEEN, TYPE, REASON, OBJECT and MESSAGE, with SUBOBJECT, SOURCE, FIRST SEEN, COUNT and
// NAME at priority 1 (`-o wide`). Columns and cells in the server's order and wording.
// Thread-safety: pure functions.
#pragma once

#include <vector>

#include "common/clock.h"
#include "kube/json.h"

namespace kcau::sim {

std::vector<kube::Json> EventColumns();
std::vector<kube::Json> EventCells(const kube::Json& event, TimePoint now);

}  // namespace kcau::sim
