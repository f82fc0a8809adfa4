// kube::KubeClient over an in-process ObjectStore: the fast front door for reconciler tests
// (controller-runtime's fake client, but with the real store's semantics: resourceVersions,
// conflicts, the status split, PDB-aware eviction).
// Thread-safety: as the ObjectStore — safe from any thread.
#pragma once

#include "kube/kube_client.h"
#include "sim/object_store.h"

namespace kcau::sim {

class StoreClient : public kube::KubeClient {
 public:
  explicit StoreClient(ObjectStore& store) : store_(store) {}

  StatusOr<kube::Json> Get(const kube::Resource& r, const kube::ObjectKey& key) override;
  StatusOr<kube::ObjectList> List(const kube::Resource& r, const std::string& ns,
                                  const kube::ListOptions& options) override;
  StatusOr<kube::Json> Create(const kube::Resource& r, const kube::Json& object) override;
  StatusOr<kube::Json> Update(const kube::Resource& r, const kube::Json& object) override;
  StatusOr<kube::Json> UpdateStatus(const kube::Resource& r, const kube::Json& object) override;
  StatusOr<kube::Json> Patch(const kube::Resource& r, const kube::ObjectKey& key,
                             kube::PatchType type, const kube::Json& patch, bool status_subresource,
                             kube::Answer answer = kube::Answer::kObject) override;
  Status Delete(const kube::Resource& r, const kube::ObjectKey& key) override;
  Status Evict(const kube::ObjectKey& pod) override;
  StatusOr<std::unique_ptr<kube::WatchStream>> Watch(const kube::Resource& r, const std::string& ns,
                                                     const kube::ListOptions& options,
                                                     const std::string& resource_version) override;

 private:
  ObjectStore& store_;
};

}  // namespace kcau::sim
