// Does a node's label set satisfy an UpdateRun's spec.nodeSelector (metav1.LabelSelector
// semantics: every matchLabels pair and every matchExpressions requirement)? Pure, thread-safe.
#pragma once

#include <map>
#include <string>

#include "crd/updaterun_types.h"

namespace kcau::reconcilers {

bool SelectorMatches(const crd::LabelSelector& selector,
                     const std::map<std::string, std::string>& labels);

}  // namespace kcau::reconcilers
