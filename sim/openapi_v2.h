// /openapi/v2: the Swagger 2.0 document kubectl up to 1.27 reads for `kubectl explain` (and
// for client-side validation), in the protobuf encoding it asks for (gnostic's
// openapi.v2.Document) or as JSON. It holds the definitions only, no paths: one per served
// kind, found by kubectl through its x-kubernetes-group-version-kind extension; a CRD's kind is
// described by its openAPIV3Schema, the way the API server publishes CRDs in v2.
// Thread-safety: pure functions over a store that is safe to read while serving.
#pragma once

#include <string>

#include "kube/json.h"
#include "sim/object_store.h"

namespace kcau::sim {

// The media type the API server answers with (kubectl asks for "...v2@v1.0+protobuf", the
// older spelling, which Go's media-type parser refuses in a Content-Type).
inline constexpr const char* kOpenApiV2Protobuf =
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

kube::Json OpenApiV2Json(const ObjectStore& store);
// The same document, serialised as gnostic's openapi.v2.Document message.
std::string OpenApiV2Protobuf(const ObjectStore& store);

}  // namespace kcau::sim
