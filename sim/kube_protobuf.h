// Request bodies in the Kubernetes protobuf encoding (Content-Type
// application/vnd.kubernetes.protobuf), turned into the JSON object the same request would
// carry as application/json. kubectl 1.32's typed clients send it for built-in kinds
// (`kubectl create configmap|namespace|serviceaccount|role|clusterrole|rolebinding|
// clusterrolebinding|poddisruptionbudget`); a real API server decodes it for every built-in
// kind. kcau-sim knows the schemas of the kinds above (field numbers as in k8s.io/api's
// generated.proto), and refuses any other kind, or a field it does not know, rather than
// dropping data.
//
// The body is the envelope: the magic "k8s\0", then a runtime.Unknown message whose typeMeta
// names the kind and whose raw bytes are the object's own message. Zero values of plain
// fields are left out, as Go's JSON encoding (omitempty) would; optional (pointer) fields are
// kept whenever present on the wire.
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "common/status.h"
#include "kube/kube_client.h"

namespace kcau::sim {

constexpr char kKubernetesProtobuf[] = "application/vnd.kubernetes.protobuf";

// kInvalidArgument: the body is not a well-formed protobuf envelope (the API server answers
// 400). kNotFound: a kind, encoding or field kcau-sim has no schema for (answered 415).
StatusOr<kube::Json> KubernetesProtobufToJson(const std::string& body);

}  // namespace kcau::sim
