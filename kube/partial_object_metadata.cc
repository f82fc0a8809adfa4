#include "kube/partial_object_metadata.h"

namespace kcau::kube {

Json PartialObjectMetadataOf(const Json& object, const std::string& version) {
  Json partial = Json::object();
  partial["kind"] = Json::string("PartialObjectMetadata");
  partial["apiVersion"] = Json::string("meta.k8s.io/" + version);
  partial["metadata"] =
      object.has_object_field("metadata") ? object.at("metadata") : Json::object();
  return partial;
}

bool IsPartialObjectMetadata(const Json& object) {
  return object.has_string_field("kind") &&
         object.at("kind").as_string() == "PartialObjectMetadata";
}

}  // namespace kcau::kube
