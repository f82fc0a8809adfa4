// UpdateRun spec validation beyond types: ranges that depend on the cluster (maxFailedNodes
// below the number of selected nodes), names that must exist (nodeOrder), and the cmdlet's
// mutually exclusive switches. Each problem names its field, so a user reads exactly what to
// fix. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crd/updaterun_types.h"

namespace kcau::crd {

struct FieldError {
  std::string field;    // "spec.nodeOrder[1]"
  std::string problem;  // "node \"ghost\" does not exist or is not selected"
  bool operator==(const FieldError&) const = default;
};

// An integer spec field and its bounds. The CRD's schema states the same minimum and
// maximum (codec_test checks that they agree); the controller checks again, as a run may
// come from an API server that did not apply the schema.
struct IntegerField {
  const char* path;  // "spec.rebootTimeoutMinutes"
  int64_t minimum;
  int64_t maximum;
  std::optional<int64_t> (*value)(const UpdateRunSpec& spec);
};
const std::vector<IntegerField>& SpecIntegerFields();

// Sizes of what kcau copies onto Nodes (annotations: 256 KiB per object in all) and into
// Events and conditions. The CRD's maxItems / maxLength / maxProperties say the same where
// OpenAPI can express them.
inline constexpr size_t kMaxPlugins = 16;
inline constexpr size_t kMaxPluginArguments = 64;  // per plug-in
inline constexpr size_t kMaxPluginArgumentNameLength = 253;
inline constexpr size_t kMaxPluginArgumentValueLength = 16 * 1024;
inline constexpr size_t kMaxPluginArgumentsTotal = 64 * 1024;  // every plug-in's names and values
inline constexpr size_t kMaxNodeOrder = 5000;  // Kubernetes' largest supported cluster
inline constexpr size_t kMaxSites = 64;
inline constexpr size_t kMaxSelectorTerms = 64;     // matchLabels entries; matchExpressions
inline constexpr size_t kMaxSelectorValues = 5000;  // values of one matchExpression

// selected_nodes: the names of the nodes spec.nodeSelector selects right now.
std::vector<FieldError> ValidateUpdateRunSpec(const UpdateRunSpec& spec,
                                              const std::vector<std::string>& selected_nodes);

// "spec.a: problem; spec.b: problem"; after kMaxReportedErrors, "; and N more" (the text
// becomes a condition and an Event).
inline constexpr size_t kMaxReportedErrors = 20;
std::string FormatFieldErrors(const std::vector<FieldError>& errors);

// The plug-ins the agent has built in.
const std::vector<std::string>& BuiltinPlugins();

// MaxFailedNodes' default: "approximately one-third of the number of nodes".
int DefaultMaxFailedNodes(int selected_nodes);
// MaxRetriesPerNode's default.
int DefaultMaxRetriesPerNode();

}  // namespace kcau::crd
