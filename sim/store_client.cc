#include "sim/store_client.h"

#include <atomic>

#include "kube/partial_object_metadata.h"

namespace kcau::sim {

namespace {

kube::ObjectKey KeyOf(const kube::Json& o) {
  kube::ObjectKey key;
  if (!o.has_object_field("metadata")) return key;
  const auto& meta = o.at("metadata");
  if (meta.has_string_field("namespace")) key.ns = meta.at("namespace").as_string();
  if (meta.has_string_field("name")) key.name = meta.at("name").as_string();
  return key;
}

class QueueStream final : public kube::WatchStream {
 public:
  QueueStream(ObjectStore& store, std::shared_ptr<WatchQueue> queue, bool metadata_only)
      : store_(store), queue_(std::move(queue)), metadata_only_(metadata_only) {}
  ~QueueStream() override { Stop(); }

  StatusOr<std::optional<kube::WatchEvent>> Next() override {
    while (!stopped_) {
      auto e = queue_->Pop(std::chrono::milliseconds(200));
      if (e) {
        return std::optional<kube::WatchEvent>(kube::WatchEvent{
            e->type, metadata_only_ ? kube::PartialObjectMetadataOf(*e->object) : *e->object});
      }
      if (queue_->closed()) break;
    }
    return std::optional<kube::WatchEvent>();
  }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    store_.StopWatch(queue_);
  }

 private:
  ObjectStore& store_;
  std::shared_ptr<WatchQueue> queue_;
  const bool metadata_only_;
  std::atomic<bool> stopped_{false};
};

}  // namespace

StatusOr<kube::Json> StoreClient::Get(const kube::Resource& r, const kube::ObjectKey& key) {
  return store_.Get(r, key);
}

StatusOr<kube::ObjectList> StoreClient::List(const kube::Resource& r, const std::string& ns,
                                             const kube::ListOptions& options) {
  // The same contract as RestClient::List: pages are followed until the list is whole.
  auto first = store_.List(r, ns, options);
  if (!first.ok()) return first.status();
  kube::ObjectList list = std::move(*first);
  if (!options.one_page) {
    kube::ListOptions next = options;
    while (!list.continue_token.empty()) {
      next.continue_token = list.continue_token;
      auto page = store_.List(r, ns, next);
      if (!page.ok()) return page.status();
      for (auto& item : page->items) list.items.push_back(std::move(item));
      list.continue_token = page->continue_token;
    }
    list.remaining_item_count = 0;
  }
  if (options.metadata_only) {
    for (auto& item : list.items) item = kube::PartialObjectMetadataOf(item);
  }
  return list;
}

StatusOr<kube::Json> StoreClient::Create(const kube::Resource& r, const kube::Json& object) {
  return store_.Create(r, KeyOf(object).ns, object);
}

StatusOr<kube::Json> StoreClient::Update(const kube::Resource& r, const kube::Json& object) {
  return store_.Update(r, KeyOf(object), object, false);
}

StatusOr<kube::Json> StoreClient::UpdateStatus(const kube::Resource& r, const kube::Json& object) {
  return store_.Update(r, KeyOf(object), object, true);
}

StatusOr<kube::Json> StoreClient::Patch(const kube::Resource& r, const kube::ObjectKey& key,
                                        kube::PatchType type, const kube::Json& patch,
                                        bool status_subresource, kube::Answer answer) {
  auto patched = store_.Patch(r, key, type, patch, status_subresource);
  if (!patched.ok() || answer == kube::Answer::kObject) return patched;
  return kube::PartialObjectMetadataOf(*patched);
}

Status StoreClient::Delete(const kube::Resource& r, const kube::ObjectKey& key) {
  auto deleted = store_.Delete(r, key);
  return deleted.ok() ? Status::Ok() : deleted.status();
}

Status StoreClient::Evict(const kube::ObjectKey& pod) { return store_.Evict(pod); }

StatusOr<std::unique_ptr<kube::WatchStream>> StoreClient::Watch(
    const kube::Resource& r, const std::string& ns, const kube::ListOptions& options,
    const std::string& resource_version) {
  auto queue = store_.Watch(r, ns, options, resource_version);
  if (!queue.ok()) return queue.status();
  return std::unique_ptr<kube::WatchStream>(
      new QueueStream(store_, std::move(*queue), options.metadata_only));
}

}  // namespace kcau::sim
