// Does a node's label set satisfy an UpdateRun's spec.nodeSelector (metav1.LabelSelector
// semantics: every matchLabels pair and every matchExpressions requirement)? Pure, thread-safe.
#pragma once

#include "crd/updaterun_types.h"
#include "reconcilers/node_labels.h"

namespace kcau::reconcilers {

bool SelectorMatches(const crd::LabelSelector& selector, const NodeLabels& labels);

}  // namespace kcau::reconcilers
