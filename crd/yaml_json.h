// YAML manifests as the JSON the API server stores, with plain scalars typed as Kubernetes
// reads them (YAML 1.2 core schema: true/false, null, integers, floats; quoted scalars stay
// strings). Parse errors name the line and column.
// Pure functions, thread-safe.
#pragma once

#include <cpprest/json.h>

#include <string>
#include <vector>

#include "common/status.h"

namespace kcau::crd {

// Every document of a multi-document YAML stream; empty documents are skipped.
StatusOr<std::vector<web::json::value>> YamlToJsonDocuments(const std::string& yaml);
// Exactly one document.
StatusOr<web::json::value> YamlToJson(const std::string& yaml);

}  // namespace kcau::crd
