// Test helpers of the crd tests: files of the source tree (the CRD manifest, test data,
// examples) read as text, YAML or the CRD's spec schema. Read-only after first use.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "crd/yaml_json.h"

namespace kcau::crd {

// A file of the source tree by its path from the repository's root.
inline std::string ReadFile(const std::string& relative) {
  std::ifstream in(std::string(KCAU_SOURCE_DIR) + "/" + relative);
  EXPECT_TRUE(in.good()) << relative;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline web::json::value Yaml(const std::string& text) {
  auto v = YamlToJson(text);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : web::json::value();
}

// The OpenAPI schema of spec in crd/updaterun-crd.yaml (its "properties" are the fields).
inline const web::json::value& SpecSchema() {
  static const web::json::value props = [] {
    auto docs = YamlToJsonDocuments(ReadFile("crd/updaterun-crd.yaml"));
    EXPECT_TRUE(docs.ok()) << docs.status().ToString();
    return docs->at(0)
        .at("spec")
        .at("versions")
        .at(0)
        .at("schema")
        .at("openAPIV3Schema")
        .at("properties")
        .at("spec");
  }();
  return props;
}

}  // namespace kcau::crd
