// What an informer that keeps no cache of its own must still know of every object it has
// delivered: its key ("namespace/name", "/name" for cluster-scoped objects) and the
// resourceVersion it was delivered at. A relist compares against it to tell changed objects
// from unchanged ones, and finds the objects deleted while the watch was down.
//
// The store an informer's handler feeds implements it (reconcilers::PodStore): at 50,000
// pods, a second copy of every key in the informer was a third of the pod cache.
//
// Thread-safety: implementations are safe from any thread.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace kcau::kube {

class VersionedKeys {
 public:
  virtual ~VersionedKeys() = default;
  // The resourceVersion stored for `key`, or nullopt when none is.
  virtual std::optional<std::string> VersionOf(const std::string& key) const = 0;
  // Every key stored, with its resourceVersion, in no particular order. `visit` runs under the
  // store's lock: it must be quick and must not call back into the store.
  virtual void ForEachKey(const std::function<void(const std::string& key,
                                                   const std::string& version)>& visit) const = 0;
  virtual size_t size() const = 0;
};

}  // namespace kcau::kube
