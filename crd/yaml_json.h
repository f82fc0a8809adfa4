// YAML manifests as the JSON the API server stores, with plain scalars typed as kubectl
// reads them (sigs.k8s.io/yaml, i.e. YAML 1.1: true/false and also yes/no, on/off, y/n in
// their three casings are booleans; null, ~, integers, floats; quoted scalars stay strings),
// and JSON back as YAML that reads the same way. Parse errors name the line and column.
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

// Block-style YAML of `json` (keys in the value's order). A string that would read back as
// something else (a boolean such as "yes", a number, null, "") is double-quoted.
std::string JsonToYaml(const web::json::value& json);

}  // namespace kcau::crd
