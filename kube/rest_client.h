// KubeClient over HTTP(S) with cpprestsdk: what the controller uses against a real API
// server (and kcau-sim). TLS verification is on unless the kubeconfig itself says
// insecure-skip-tls-verify; tokens are sent, never logged; a rotated token file is re-read.
// A request that fails on a pooled keep-alive connection the server had closed goes out once
// more on a fresh connection when that is safe (the rule is in rest_client.cc).
// cpprestsdk's http_client stays behind a pimpl so this header is cheap to include.
//
// Thread-safety: every method is safe from any thread (cpprest's client is thread-safe).
#pragma once

#include <memory>

#include "kube/kube_client.h"
#include "kube/kubeconfig.h"

namespace kcau::kube {

class RestClient final : public KubeClient {
 public:
  static StatusOr<std::unique_ptr<RestClient>> Create(const ClientConfig& config);
  ~RestClient() override;

  StatusOr<Json> Get(const Resource& r, const ObjectKey& key) override;
  StatusOr<ObjectList> List(const Resource& r, const std::string& ns,
                            const ListOptions& options) override;
  StatusOr<Json> Create(const Resource& r, const Json& object) override;
  StatusOr<Json> Update(const Resource& r, const Json& object) override;
  StatusOr<Json> UpdateStatus(const Resource& r, const Json& object) override;
  StatusOr<Json> Patch(const Resource& r, const ObjectKey& key, PatchType type, const Json& patch,
                       bool status_subresource, Answer answer = Answer::kObject) override;
  Status Delete(const Resource& r, const ObjectKey& key) override;
  Status Evict(const ObjectKey& pod) override;
  StatusOr<std::unique_ptr<WatchStream>> Watch(const Resource& r, const std::string& ns,
                                               const ListOptions& options,
                                               const std::string& resource_version) override;

  struct Impl;

 private:
  explicit RestClient(std::unique_ptr<Impl> impl);
  // Shared with the watch streams it made: a stream sends its request on its first Next()
  // (Watch), and may be read after the client is gone.
  std::shared_ptr<Impl> impl_;
};

}  // namespace kcau::kube
