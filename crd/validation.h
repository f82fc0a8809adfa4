// UpdateRun spec validation beyond types: ranges that depend on the cluster (maxFailedNodes
// below the number of selected nodes), names that must exist (nodeOrder), and the cmdlet's
// mutually exclusive switches. Each problem names its field, so a user reads exactly what to
// fix. Pure functions, thread-safe.
#pragma once

#include <string>
#include <vector>

#include "crd/updaterun_types.h"

namespace kcau::crd {

struct FieldError {
  std::string field;    // "spec.nodeOrder[1]"
  std::string problem;  // "node \"ghost\" does not exist or is not selected"
  bool operator==(const FieldError&) const = default;
};

// selected_nodes: the names of the nodes spec.nodeSelector selects right now.
std::vector<FieldError> ValidateUpdateRunSpec(const UpdateRunSpec& spec,
                                              const std::vector<std::string>& selected_nodes);

// "spec.a: problem; spec.b: problem"
std::string FormatFieldErrors(const std::vector<FieldError>& errors);

// The plug-ins the agent has built in.
const std::vector<std::string>& BuiltinPlugins();

// MaxFailedNodes' default: "approximately one-third of the number of nodes".
int DefaultMaxFailedNodes(int selected_nodes);
// MaxRetriesPerNode's default.
int DefaultMaxRetriesPerNode();

}  // namespace kcau::crd
