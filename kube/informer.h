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
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kube/kube_client.h"

namespace kcau::kube {

class Informer {
 public:
  using Handler = std::function<void(const std::string& type, const Json& object)>;
  // Keeps only the fields a controller reads (client-go's SetTransform): applied before an
  // object is cached or handed to the handler, so a 50,000-pod cache stays small. It must
  // keep metadata.name, metadata.namespace and metadata.resourceVersion, and be idempotent
  // (objects a relist finds gone are delivered again from the cache).
  using Transform = std::function<Json(const Json& object)>;

  Informer(KubeClient& client, Resource resource, std::string ns, ListOptions options,
           Handler handler);
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // What an object is indexed by (client-go's Indexers, one index): a pod's node, say; ""
  // leaves it out of the index. Kept current on every event, so VisitIndexed reads the
  // objects of one value without scanning the cache.
  using IndexFunc = std::function<std::string(const Json& object)>;

  // Before Start().
  void SetTransform(Transform transform) { transform_ = std::move(transform); }
  void SetIndex(IndexFunc index) { index_fn_ = std::move(index); }
  bool Indexed() const { return static_cast<bool>(index_fn_); }
  void Start();
  void Stop();
  bool HasSynced() const { return synced_; }
  std::vector<Json> Snapshot() const;
  std::optional<Json> Get(const std::string& ns, const std::string& name) const;
  // Reads every cached object in place (no copies: the pod cache is large). The cache is
  // locked meanwhile, so `visit` must be quick and must not call back into the informer.
  void Visit(const std::function<void(const Json&)>& visit) const;
  // Reads in place the cached objects whose index value (SetIndex) is `value`; as Visit.
  void VisitIndexed(const std::string& value, const std::function<void(const Json&)>& visit) const;
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
  // `transformed`: `object` is already as the Transform makes it.
  void Deliver(const std::string& type, const Json& object, bool transformed = false);
  void Backoff();
  // Stores (or with `object` null, erases) `key`, keeping the index in step.
  void StoreLocked(const std::string& key, const Json* object);

  KubeClient& client_;
  const Resource resource_;
  const std::string ns_;
  const ListOptions options_;
  const Handler handler_;
  Transform transform_;
  IndexFunc index_fn_;

  std::atomic<bool> stopping_{false};
  std::atomic<bool> synced_{false};
  std::atomic<int> lists_{0};
  std::atomic<int> watches_{0};
  std::thread thread_;
  std::mutex stream_mu_;
  std::unique_ptr<WatchStream> stream_;  // guarded by stream_mu_
  std::mutex wait_mu_;                   // pairs with wait_cv_ for interruptible backoff
  std::condition_variable wait_cv_;
  mutable std::mutex cache_mu_;
  std::map<std::string, Json> cache_;  // guarded by cache_mu_; key "ns/name"
  // Index value -> keys of the cached objects that have it; guarded by cache_mu_.
  std::map<std::string, std::set<std::string>> index_;
  std::string last_rv_;  // the informer thread's only
  std::chrono::milliseconds backoff_{200};
};

}  // namespace kcau::kube
