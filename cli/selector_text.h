// A node selector in kubectl's `-l` syntax ("pool=blue,zone in (a,b),!legacy") as the
// UpdateRun's spec.nodeSelector (metav1.LabelSelector), and back as the labelSelector query
// that lists the nodes it selects. Pure functions, thread-safe.
#pragma once

#include <string>

#include "common/status.h"
#include "crd/updaterun_types.h"

namespace kcau::cli {

// "a=b" and "a==b" become matchLabels; "a!=b" NotIn (b); "a in (x,y)" In; "a notin (x)"
// NotIn; "a" Exists; "!a" DoesNotExist.
StatusOr<crd::LabelSelector> SelectorFromText(const std::string& text);

// The labelSelector query string selecting what `selector` selects.
std::string SelectorQuery(const crd::LabelSelector& selector);

}  // namespace kcau::cli
