// Installs a CustomResourceDefinition's schema validation on the store, as the API server
// does once a CRD is applied. kcau-sim ships kcau's own UpdateRun CRD built in (the very
// crd/updaterun-crd.yaml users apply), so a bad UpdateRun is refused at `kubectl apply`.
// Thread-safety: call before serving.
#pragma once

#include <string>

#include "common/status.h"
#include "sim/object_store.h"

namespace kcau::sim {

// crd_yaml: an apiextensions.k8s.io/v1 CustomResourceDefinition manifest.
Status InstallCrdValidation(ObjectStore& store, const std::string& crd_yaml);

// crd/updaterun-crd.yaml, embedded at build time.
const char* BuiltinUpdateRunCrdYaml();

}  // namespace kcau::sim
