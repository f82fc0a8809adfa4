// Validates custom resources against their CRD's openAPIV3Schema the way the API server
// does — types, enum, required, minimum/maximum, minLength, minItems, pattern,
// x-kubernetes-int-or-string, and (strict field validation) unknown fields — and reports
// each problem with its field path and the API server's wording, so a bad UpdateRun is
// refused at `kubectl apply` exactly as a real cluster would refuse it.
// Immutable after construction; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "kube/kube_client.h"

namespace kcau::sim {

struct SchemaViolation {
  std::string field;    // "spec.maxRetriesPerNode"
  std::string message;  // "Invalid value: 65: spec.maxRetriesPerNode in body should be ..."
};

class SchemaValidator {
 public:
  explicit SchemaValidator(kube::Json open_api_v3_schema)
      : schema_(std::move(open_api_v3_schema)) {}

  // metadata is the API server's business, not the schema's: it is skipped.
  std::vector<SchemaViolation> Validate(const kube::Json& object) const;

 private:
  kube::Json schema_;
};

// "spec.a: Invalid value: ...; spec.b: Required value" (the API server's Status causes are
// rebuilt from this by splitting on "; ").
std::string FormatViolations(const std::vector<SchemaViolation>& violations);

}  // namespace kcau::sim
