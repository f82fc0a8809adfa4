// Kubernetes' rules for names, ConfigMap keys and labels, as the API server applies them
// (k8s.io/apimachinery/pkg/util/validation), so that a value kcau copies into a request
// (a ConfigMap's name, a service account, a node name) is one the API server would accept
// and cannot walk out of its place in a URL ("../../kube-system/x"). Each check returns
// the problem, phrased to follow "field: ", or "" when the value is fine; a value that is
// too long is described by its length, never copied into the message (messages end up in
// conditions and Events).
// Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <string>

namespace kcau::crd {

inline constexpr size_t kMaxDnsSubdomainLength = 253;
inline constexpr size_t kMaxConfigMapKeyLength = 253;
inline constexpr size_t kMaxLabelValueLength = 63;
inline constexpr size_t kMaxLabelNameLength = 63;  // the part of a label key after its prefix

// metadata.name of a ConfigMap, ServiceAccount, Node: lower-case DNS-1123 subdomain.
std::string DnsSubdomainProblem(const std::string& value);
// A key of a ConfigMap's data: [-._a-zA-Z0-9]+, at most 253, not "." or ".."-prefixed.
std::string ConfigMapKeyProblem(const std::string& value);
// A label key: [prefix/]name, prefix a DNS-1123 subdomain, name as a label value (not empty).
std::string LabelKeyProblem(const std::string& value);
// A label value: empty, or at most 63 of [-._a-zA-Z0-9] starting and ending alphanumeric.
std::string LabelValueProblem(const std::string& value);

// `value` in double quotes for a message; cut to its first 64 characters (and its length
// said) when longer, so a value that broke a size rule does not copy itself into status.
std::string Quoted(const std::string& value);

}  // namespace kcau::crd
