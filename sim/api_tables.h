// The documents kcau-sim's API server answers with besides objects: version, discovery
// (APIVersions, APIGroupList, APIResourceList), the OpenAPI v3 index and per-group-version
// documents kubectl reads before `apply`, and meta.k8s.io/v1 Tables for `kubectl get`.
// Built from the store's registered resources. Pure functions of their inputs, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "kube/kube_client.h"
#include "sim/object_store.h"

namespace kcau::sim {

kube::Json VersionInfo();
kube::Json ApiVersions();
kube::Json ApiGroupList(const ObjectStore& store);
std::optional<kube::Json> ApiResourceList(const ObjectStore& store, const std::string& group,
                                          const std::string& version);
kube::Json OpenApiV3Index(const ObjectStore& store);
std::optional<kube::Json> OpenApiV3Document(const ObjectStore& store, const std::string& group,
                                            const std::string& version);
kube::Json TableFor(const kube::Resource& r, const std::vector<kube::Json>& objects,
                    const std::string& resource_version, TimePoint now);
// kubectl's age format: "45s", "5m12s", "3h", "12d".
std::string HumanAge(Duration age);

}  // namespace kcau::sim
