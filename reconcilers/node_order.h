// The order in which a run takes its nodes. Pure, thread-safe.
//
// spec.nodeOrder first, exactly as given (NodeOrder); with spec.siteAwareUpdatingOrder the
// nodes go site by site (topology.kubernetes.io/zone), sites in the order listed and those
// not listed last; within that, every other selected node in
// CAU's default order: by activity, fewest evictable pods first (the cheapest drains go first,
// so a run that fails early has disturbed the least), ties broken by name so the plan is
// deterministic and a restarted controller computes the same one.
#pragma once

#include <string>
#include <vector>

#include "crd/updaterun_types.h"
#include "reconcilers/node_view.h"

namespace kcau::reconcilers {

std::vector<std::string> OrderNodes(const crd::UpdateRunSpec& spec,
                                    const std::vector<const NodeView*>& selected);

}  // namespace kcau::reconcilers
