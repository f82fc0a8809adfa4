// The simulated cluster's object store: an in-memory API server back end.
//
// It keeps every object as the JSON the API server would return and gives the store
// semantics real clients depend on: one monotonically increasing resourceVersion across the
// store, metadata.uid / creationTimestamp / generation (bumped on spec changes only), 409 on a
// stale resourceVersion, the spec/status split of the /status subresource, label and field
// selectors, JSON merge / JSON / strategic merge patches, the pod Eviction subresource
// honouring PodDisruptionBudgets, and watches that resume from a resourceVersion (410 Gone
// when it is older than the kept history).
//
// Two front doors share it (docs/conventions.md): sim/api_server.h serves it over HTTP for
// kubectl, the demo and integration tests; sim/store_client.h adapts it to kube::KubeClient
// for fast in-process reconciler tests.
//
// Thread-safety: every method is safe to call from any thread; one mutex guards the store.
// Watch queues are fed under that mutex and drained by their own reader.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "kube/kube_client.h"
#include "kube/resource.h"

namespace kcau::sim {

using kube::Json;

// Events of one watch, in order. The store pushes; one reader pops.
// A watch event as the store queues it. The object is shared with the store's history and
// every other watcher, and never changed once recorded: at 50,000 pods, a copy per watcher
// and per history entry was most of the simulator's CPU.
struct QueuedEvent {
  std::string type;  // ADDED, MODIFIED, DELETED
  std::shared_ptr<const kube::Json> object;
};

class WatchQueue {
 public:
  // Waits up to `timeout` for the next event. nullopt on timeout or once closed and drained.
  std::optional<QueuedEvent> Pop(std::chrono::milliseconds timeout);
  bool closed() const;
  void Push(QueuedEvent event);
  void Close();

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<QueuedEvent> events_;  // guarded by mu_
  bool closed_ = false;             // guarded by mu_
};

struct ResourceInfo {
  kube::Resource resource;
  bool status_subresource = false;  // spec/status split as for CRDs with subresources.status
  std::string singular;             // "node", "updaterun"
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
};

class ObjectStore {
 public:
  // history_limit: how many past events a watch may resume from before 410 Gone.
  explicit ObjectStore(const Clock& clock, size_t history_limit = 100000);
  ~ObjectStore();
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  // Built-in kinds (nodes, pods, events, namespaces, poddisruptionbudgets, leases, the
  // UpdateRun CRD) are registered by the constructor; more may be added. One version per
  // group and resource; a resource already registered is left as it is.
  void RegisterResource(const ResourceInfo& info);
  // Finds a served resource by group, version and plural; nullptr if not served.
  const ResourceInfo* FindResource(const std::string& group, const std::string& version,
                                   const std::string& plural) const;
  std::vector<ResourceInfo> Resources() const;
  // Checks every object written to `r` (create, update, patch, /status): the CRD schema
  // validation of the API server. A non-OK Status refuses the write.
  using Validator = std::function<Status(const Json& object)>;
  void SetValidator(const kube::Resource& r, Validator validator);
  // The schema /openapi/v3 publishes for a resource (a CRD version's openAPIV3Schema), so
  // `kubectl explain` describes its fields; resources without one are described as objects
  // of any shape.
  void SetOpenApiSchema(const kube::Resource& r, Json schema);
  std::optional<Json> OpenApiSchema(const kube::Resource& r) const;

  StatusOr<Json> Get(const kube::Resource& r, const kube::ObjectKey& key) const;
  StatusOr<kube::ObjectList> List(const kube::Resource& r, const std::string& ns,
                                  const kube::ListOptions& options) const;
  // How many pods each of `nodes` has (spec.nodeName), in the set's order, 0 for a node
  // without any, from the index a list by `fieldSelector=spec.nodeName=X` uses: no pod is
  // looked at, and nothing is allocated per node.
  std::vector<size_t> PodCountsOn(const std::set<std::string>& nodes) const;
  // Fills metadata (uid, resourceVersion, creationTimestamp, generation=1, namespace from
  // `ns` when the object has none; a name from metadata.generateName when it has none).
  // kInvalidArgument, in the API server's words, for a name the kind does not allow
  // (sim/object_names.h). kAlreadyExists if the name is taken. With a status subresource, a
  // status in the request is dropped, as the API server does.
  //
  // Writes with `dry_run` (the API server's dryRun=All) run every check and return the
  // object as it would be stored, and store nothing: no resourceVersion, no watch event.
  StatusOr<Json> Create(const kube::Resource& r, const std::string& ns, Json object,
                        bool dry_run = false);
  // Replace. metadata.resourceVersion, when present, must match (kConflict otherwise).
  // status_subresource=false keeps the stored status (if the kind has the subresource);
  // status_subresource=true keeps the stored spec and everything but status.
  StatusOr<Json> Update(const kube::Resource& r, const kube::ObjectKey& key, Json object,
                        bool status_subresource, bool dry_run = false);
  StatusOr<Json> Patch(const kube::Resource& r, const kube::ObjectKey& key, kube::PatchType type,
                       const Json& patch, bool status_subresource, bool dry_run = false);
  // Returns the deleted object.
  StatusOr<Json> Delete(const kube::Resource& r, const kube::ObjectKey& key, bool dry_run = false);
  // The Eviction subresource: deletes the pod unless a PodDisruptionBudget whose selector
  // matches it has status.disruptionsAllowed == 0 after counting; then kTooManyRequests
  // with the API server's message "Cannot evict pod as it would violate the pod's
  // disruption budget.".
  Status Evict(const kube::ObjectKey& pod);

  // Watch from resource_version: "" or "0" first replays the current objects as ADDED.
  // kGone when resource_version is older than the kept history.
  StatusOr<std::shared_ptr<WatchQueue>> Watch(const kube::Resource& r, const std::string& ns,
                                              const kube::ListOptions& options,
                                              const std::string& resource_version);
  void StopWatch(const std::shared_ptr<WatchQueue>& queue);

  // The newest resourceVersion handed out.
  uint64_t CurrentResourceVersion() const;

  // The whole state (every object and the resourceVersion counter) as one JSON document,
  // and back, for `kcau-sim --state-file`. Watch history is not kept, as after an etcd
  // compaction: a watch from before the restart gets 410 Gone and its client relists.
  Json ExportState() const;
  // Into an empty store whose resources are registered.
  Status ImportState(const Json& state);

 private:
  struct Watcher;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kcau::sim
