// The metadata-only form of objects (meta.k8s.io/v1 PartialObjectMetadata), which the API
// server sends instead of whole objects when a client's Accept header asks for it, as
// client-go's metadata client does: a reader that needs names, versions and finalizers of
// large objects (a 5,000-node UpdateRun's status is ~400 KiB) is spared the rest on the
// wire and in its parser. docs/architecture.md says where kcau asks for it.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "kube/json.h"

namespace kcau::kube {

// The Accept header asking for one object's metadata (get, watch, and the answer to a write);
// plain JSON after it lets a server without the form answer with the whole object.
inline constexpr char kAcceptPartialObjectMetadata[] =
    "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";
// The same for a list.
inline constexpr char kAcceptPartialObjectMetadataList[] =
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

// {"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/<version>","metadata":...} of
// `object`; an object without metadata gets an empty one.
Json PartialObjectMetadataOf(const Json& object, const std::string& version = "v1");

// True when `object` is in that form (a server honoured the Accept header).
bool IsPartialObjectMetadata(const Json& object);

}  // namespace kcau::kube
