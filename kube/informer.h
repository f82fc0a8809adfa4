// A reflector with a cache (client-go's informer, small): list, then watch from the list's
// resourceVersion; a stream the server ended is resumed from the last resourceVersion seen;
// 410 Gone means relist and deliver the difference; errors back off exponentially with
// jitter (200 ms doubling to 30 s). Handlers only learn "this changed": controllers re-read
// what they need (level-triggered).
//
// Thread-safety: one internal thread runs the handler; Snapshot/Get/HasSynced are safe from
// any thread; Stop() returns promptly (it interrupts a blocked watch).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kube/kube_client.h"
#include "kube/versioned_keys.h"

namespace kcau::kube {

class Informer {
 public:
  // Called with each change, with the object as the server sent it (not transformed); an
  // object a relist finds gone comes from the cache, transformed.
  using Handler = std::function<void(const std::string& type, const Json& object)>;
  // Keeps only the fields the cache needs (client-go's SetTransform): applied before an
  // object is cached, so a 50,000-pod cache stays small. It must keep metadata.name,
  // metadata.namespace and metadata.resourceVersion.
  using Transform = std::function<Json(const Json& object)>;

  Informer(KubeClient& client, Resource resource, std::string ns, ListOptions options,
           Handler handler);
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Before Start().
  void SetTransform(Transform transform) { transform_ = std::move(transform); }
  // Before Start(): the cache keeps each object's key and resourceVersion only, for a handler
  // that keeps what it reads itself (a PodStore): at 50,000 pods even a slimmed JSON object
  // each is tens of MiB. Snapshot, Get and Visit then see objects of metadata.namespace, name
  // and resourceVersion, as does the handler for an object a relist finds gone.
  void KeepKeysOnly() { keys_only_ = true; }
  // Before Start(): like KeepKeysOnly, but the keys and resourceVersions are those `store`
  // holds, and the informer keeps none: the store its handler feeds records each object's
  // resourceVersion as it is delivered (a DELETED one forgotten), and must outlive the
  // informer. Snapshot, Get, Visit and Size read `store`.
  void KeysKeptBy(const VersionedKeys& store) { keys_by_ = &store; }
  void Start();
  void Stop();
  bool HasSynced() const { return synced_; }
  std::vector<Json> Snapshot() const;
  std::optional<Json> Get(const std::string& ns, const std::string& name) const;
  // Reads every cached object in place (no copies: the pod cache is large). The cache is
  // locked meanwhile, so `visit` must be quick and must not call back into the informer.
  void Visit(const std::function<void(const Json&)>& visit) const;
  size_t Size() const;
  // How many times the informer listed (1 + relists after 410 Gone): for tests and metrics.
  int Lists() const { return lists_; }
  // How many watch streams it opened (1 + restarts: a stream the server ended, an error, a
  // relist): for metrics.
  int Watches() const { return watches_; }
  const Resource& resource() const { return resource_; }

 private:
  void Run();
  bool ListAndDeliver();
  // Caches `kept` (with none, `object` as the Transform makes it) and hands `object` to the
  // handler.
  void Deliver(const std::string& type, const Json& object, const Json* kept = nullptr);
  void Backoff();
  // Stores (or with `object` null, erases) `key`.
  void StoreLocked(const std::string& key, const Json* object);

  struct Cached {
    std::string resource_version;
    std::unique_ptr<const Json> object;  // null with KeepKeysOnly
  };
  // With KeepKeysOnly or KeysKeptBy, what the cache tells of an object: its key and version.
  static Json ObjectOf(const std::string& key, const std::string& resource_version);
  // The resourceVersion the cache (or the store keeping the keys) holds for `key`.
  std::optional<std::string> CachedVersion(const std::string& key) const;
  // Every key the cache (or the store keeping the keys) holds, with its version and, in a
  // cache that keeps objects, the object; under the lock of whichever holds them.
  void ForEachCached(const std::function<void(const std::string& key, const std::string& version,
                                              const Json* object)>& visit) const;

  KubeClient& client_;
  const Resource resource_;
  const std::string ns_;
  const ListOptions options_;
  const Handler handler_;
  Transform transform_;
  bool keys_only_ = false;
  const VersionedKeys* keys_by_ = nullptr;  // with KeysKeptBy; cache_ stays empty

  std::atomic<bool> stopping_{false};
  pplx::cancellation_token_source list_cancel_;  // cancelled by Stop(): ends a list in flight
  std::atomic<bool> synced_{false};
  std::atomic<int> lists_{0};
  std::atomic<int> watches_{0};
  std::thread thread_;
  std::mutex stream_mu_;
  std::unique_ptr<WatchStream> stream_;  // guarded by stream_mu_
  std::mutex wait_mu_;                   // pairs with wait_cv_ for interruptible backoff
  std::condition_variable wait_cv_;
  mutable std::mutex cache_mu_;
  std::map<std::string, Cached> cache_;  // guarded by cache_mu_; key "ns/name"
  std::string last_rv_;                  // the informer thread's only
  std::chrono::milliseconds backoff_{200};
};

}  // namespace kcau::kube
