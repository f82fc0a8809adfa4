// The form a request's Accept header asks its answer in, negotiated as the API server does
// for JSON: the media types in the order given, the first one kcau-sim can serve wins. A
// type naming `as=Table` asks for kubectl's table (lists and gets), one naming
// `as=PartialObjectMetadata` (or `...List` for a list) with g=meta.k8s.io and v=v1 or
// v1beta1 for the objects' metadata only (client-go's metadata client). Protobuf and JSON
// without `as=` are answered with whole objects as JSON.
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
