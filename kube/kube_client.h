// KubeClient: the one interface through which kcau talks to a Kubernetes API server.
//
// Two implementations: RestClient (kube/rest_client.h, cpprestsdk over HTTP(S)) for the real
// controller, and sim::StoreClient (sim/store_client.h) over the simulated cluster's
// in-memory store for fast reconciler tests. Reconcilers see only this interface.
// Objects travel as JSON documents exactly as the API server writes them.
//
// Thread-safety: implementations are safe to call from several threads at once. A
// WatchStream is used by one thread at a time, but Stop() may be called from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pplx/pplxtasks.h>

#include "common/status.h"
#include "kube/json.h"
#include "kube/resource.h"

namespace kcau::kube {

struct ListOptions {
  std::string label_selector;  // "a=b,c!=d,e" — equality-based selectors
  std::string field_selector;  // "spec.nodeName=n1", "metadata.name=x"
  // Paging (the API's limit/continue). RestClient::List follows every continue token itself
  // (client-go's pager), so callers always get the whole list, `limit` objects per request.
  int64_t limit = 0;           // 0: one response with everything
  std::string continue_token;  // from the previous page's ObjectList::continue_token
  // With a limit: return one page and its continue token instead of following them, for a
  // caller that handles each page before fetching the next (an informer slims 500 pods at a
  // time rather than holding 50,000 whole ones).
  bool one_page = false;
  // List and watch the objects' metadata only (PartialObjectMetadata, client-go's metadata
  // client): for a reader of large objects that needs names and versions, not the rest.
  bool metadata_only = false;
  // Cancelling it ends a list waiting for its answer (RestClient): an informer's Stop()
  // must not wait out the request timeout of a list the server read and never answered.
  pplx::cancellation_token cancel = pplx::cancellation_token::none();
};

struct ObjectList {
  std::vector<Json> items;
  std::string resource_version;      // of the list, to start a watch from
  std::string continue_token;        // non-empty: more items follow; pass it back to get them
  int64_t remaining_item_count = 0;  // with a continue token: how many items follow
};

enum class PatchType {
  kMerge,           // application/merge-patch+json (RFC 7386)
  kJson,            // application/json-patch+json (RFC 6902)
  kStrategicMerge,  // application/strategic-merge-patch+json (built-in kinds only)
};

// What the answer to a write carries: the object as stored, or its metadata only
// (PartialObjectMetadata), for a writer of a large object that needs no more than its
// resourceVersion and finalizers back.
enum class Answer { kObject, kMetadata };

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
  Json object;
};

class WatchStream {
 public:
  virtual ~WatchStream() = default;
  // Blocks until the next event. nullopt with an OK status: the server ended the stream
  // normally (timeout); a non-OK status: the connection broke, or 410 Gone (kGone).
  virtual StatusOr<std::optional<WatchEvent>> Next() = 0;
  // Unblocks Next() from another thread; Next() then returns nullopt.
  virtual void Stop() = 0;
};

class KubeClient {
 public:
  virtual ~KubeClient() = default;

  virtual StatusOr<Json> Get(const Resource& resource, const ObjectKey& key) = 0;
  // ns empty: all namespaces (or a cluster-scoped resource).
  virtual StatusOr<ObjectList> List(const Resource& resource, const std::string& ns,
                                    const ListOptions& options) = 0;
  virtual StatusOr<Json> Create(const Resource& resource, const Json& object) = 0;
  // Replaces the object; metadata.resourceVersion must match (kConflict otherwise).
  virtual StatusOr<Json> Update(const Resource& resource, const Json& object) = 0;
  // Replaces only .status through the /status subresource.
  virtual StatusOr<Json> UpdateStatus(const Resource& resource, const Json& object) = 0;
  virtual StatusOr<Json> Patch(const Resource& resource, const ObjectKey& key, PatchType type,
                               const Json& patch, bool status_subresource = false,
                               Answer answer = Answer::kObject) = 0;
  virtual Status Delete(const Resource& resource, const ObjectKey& key) = 0;
  // POST pods/NAME/eviction (policy/v1). kTooManyRequests when a PodDisruptionBudget refuses.
  virtual Status Evict(const ObjectKey& pod) = 0;
  // Events after resource_version (empty: the current state as ADDED events, then changes).
  // An implementation may send the request on the stream's first Next() (RestClient does, so
  // that Stop() reaches a request never answered); its failures, 410 Gone included, then come
  // from Next() rather than from Watch().
  virtual StatusOr<std::unique_ptr<WatchStream>> Watch(const Resource& resource,
                                                       const std::string& ns,
                                                       const ListOptions& options,
                                                       const std::string& resource_version) = 0;
};

}  // namespace kcau::kube
