// The form a request's Accept header asks its answer in, negotiated as the API server does
// for JSON: the media types in the order given, the first one kcau-sim knows wins. A type
// naming `as=Table` asks for kubectl's table (lists and gets; elsewhere kcau-sim sends the
// objects, where the API server would send a table), one naming `as=PartialObjectMetadata`
// (`...List` for a list) with g=meta.k8s.io and v=v1 or v1beta1 for the objects' metadata
// only (client-go's metadata client); the one of the other kind (a list's for one object, or
// the reverse) is 406, as the API server cannot transform the answer into it. Protobuf and
// JSON without `as=` are answered with whole objects as JSON.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>

namespace kcau::sim {

struct ResponseForm {
  enum class Kind { kObject, kTable, kMetadata };
  Kind kind = Kind::kObject;
  std::string version = "v1";  // meta.k8s.io's version for kMetadata
};

// `accept`: the header's value ("" when absent). `list`: the request lists a collection
// (not a watch), whose metadata form is PartialObjectMetadataList. nullopt when no type given
// can be served: the API server answers 406 Not Acceptable.
std::optional<ResponseForm> NegotiateResponseForm(const std::string& accept, bool list);

}  // namespace kcau::sim
