// Names of the Kubernetes resources kcau reads and writes, and the key of one object.
//
// A Resource is what a REST path needs (group, version, plural, scope); both the HTTP client
// and the simulated API server build and parse paths from it. Every segment of a built path
// is percent-encoded, so a name with '/', '%', '?', '#', a space or non-ASCII letters stays one
// segment and a valid URI. Plain values, thread-safe.
#pragma once

#include <string>

namespace kcau::kube {

struct Resource {
  std::string group;    // "" for the core group
  std::string version;  // "v1", "v1alpha1"
  std::string plural;   // "nodes", "updateruns"
  std::string kind;     // "Node", "UpdateRun"
  bool namespaced = false;

  // "/api/v1" or "/apis/kcau.io/v1alpha1"
  std::string GroupVersionPath() const;
  // "v1" or "kcau.io/v1alpha1", as written in apiVersion
  std::string ApiVersion() const;
  // Collection path: "/api/v1/nodes", "/api/v1/namespaces/NS/pods" (NS empty: all namespaces).
  std::string CollectionPath(const std::string& ns) const;
  // Item path: CollectionPath(ns) + "/" + name.
  std::string ItemPath(const std::string& ns, const std::string& name) const;
};

// One path segment percent-encoded as RFC 3986 says: every byte but the unreserved
// A-Z a-z 0-9 - . _ ~ becomes %XX (UTF-8 bytes one by one): "päch-dienstag" is
// "p%C3%A4ch-dienstag", "a/b" is "a%2Fb".
std::string EscapePathSegment(const std::string& segment);

struct ObjectKey {
  std::string ns;  // empty for cluster-scoped objects
  std::string name;
};

namespace resources {
const Resource& Nodes();
const Resource& Pods();
const Resource& Events();
const Resource& PodDisruptionBudgets();
const Resource& Leases();
const Resource& UpdateRuns();
}  // namespace resources

}  // namespace kcau::kube
