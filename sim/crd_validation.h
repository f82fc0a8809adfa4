// Serves a CustomResourceDefinition's kind as the API server does once the CRD is applied:
// each served version becomes a resource (discovery, OpenAPI, list/watch/...) whose objects
// are validated against its openAPIV3Schema. kcau-sim ships kcau's own UpdateRun CRD built in
// (the very crd/updaterun-crd.yaml users apply), so a bad UpdateRun is refused at
// `kubectl apply`; any other CRD applied to it is served the same way.
// Thread-safety: safe while serving (resources are only ever added; validators swap under
// the store's lock).
#pragma once

#include <string>

#include "common/status.h"
#include "sim/object_store.h"

namespace kcau::sim {

// crd: an apiextensions.k8s.io/v1 CustomResourceDefinition object.
Status ServeCrd(ObjectStore& store, const kube::Json& crd);

// The same, from the manifest's YAML.
Status InstallCrdValidation(ObjectStore& store, const std::string& crd_yaml);

// crd/updaterun-crd.yaml, embedded at build time.
const char* BuiltinUpdateRunCrdYaml();

}  // namespace kcau::sim
