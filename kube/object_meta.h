// Reading an object's metadata the same way everywhere. Thread-safety: pure functions.
#pragma once

#include <string>

#include "kube/json.h"

namespace kcau::kube {

// metadata.name, or "" when the object has none.
inline std::string NameOf(const Json& object) {
  return object.has_object_field("metadata") && object.at("metadata").has_string_field("name")
             ? object.at("metadata").at("name").as_string()
             : "";
}

// metadata.resourceVersion, or "" when the object has none.
inline std::string ResourceVersionOf(const Json& object) {
  return object.has_object_field("metadata") &&
                 object.at("metadata").has_string_field("resourceVersion")
             ? object.at("metadata").at("resourceVersion").as_string()
             : "";
}

}  // namespace kcau::kube
