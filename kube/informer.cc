#include "kube/informer.h"

#include <spdlog/spdlog.h>

#include <random>
#include <set>

#include "common/freed_heap.h"
#include "common/thread_name.h"
#include "kube/object_meta.h"

namespace kcau::kube {

namespace {

std::string KeyOf(const Json& o) {
  std::string ns, name;
  if (o.has_object_field("metadata")) {
    const Json& m = o.at("metadata");
    if (m.has_string_field("namespace")) ns = m.at("namespace").as_string();
    if (m.has_string_field("name")) name = m.at("name").as_string();
  }
  return ns + "/" + name;
}

constexpr std::chrono::milliseconds kBackoffBase{200};
constexpr std::chrono::milliseconds kBackoffCap{30000};

}  // namespace

Informer::Informer(KubeClient& client, Resource resource, std::string ns, ListOptions options,
                   Handler handler)
    : client_(client),
      resource_(std::move(resource)),
      ns_(std::move(ns)),
      options_(std::move(options)),
      handler_(std::move(handler)) {}

Informer::~Informer() { Stop(); }

void Informer::Start() {
  thread_ = std::thread([this] {
    NameThisThread("inf/" + resource_.plural);  // "inf/nodes", cut to 15 bytes
    Run();
  });
}

void Informer::Stop() {
  if (stopping_.exchange(true)) return;
  list_cancel_.cancel();
  {
    std::lock_guard<std::mutex> lock(stream_mu_);
    if (stream_) stream_->Stop();
  }
  {
    std::lock_guard<std::mutex> lock(wait_mu_);
    wait_cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

Json Informer::ObjectOf(const std::string& key, const std::string& resource_version) {
  Json o = Json::object();
  const size_t slash = key.find('/');
  if (slash > 0) o["metadata"]["namespace"] = Json::string(key.substr(0, slash));
  o["metadata"]["name"] = Json::string(key.substr(slash + 1));
  o["metadata"]["resourceVersion"] = Json::string(resource_version);
  return o;
}

void Informer::ForEachCached(
    const std::function<void(const std::string& key, const std::string& version,
                             const Json* object)>& visit) const {
  if (keys_by_ != nullptr) {
    keys_by_->ForEachKey(
        [&](const std::string& key, const std::string& version) { visit(key, version, nullptr); });
    return;
  }
  std::lock_guard<std::mutex> lock(cache_mu_);
  for (const auto& [key, cached] : cache_) visit(key, cached.resource_version, cached.object.get());
}

std::vector<Json> Informer::Snapshot() const {
  std::vector<Json> out;
  Visit([&](const Json& object) { out.push_back(object); });
  return out;
}

void Informer::Visit(const std::function<void(const Json&)>& visit) const {
  ForEachCached([&](const std::string& key, const std::string& version, const Json* object) {
    if (object != nullptr) {
      visit(*object);
    } else {
      visit(ObjectOf(key, version));
    }
  });
}

std::optional<std::string> Informer::CachedVersion(const std::string& key) const {
  if (keys_by_ != nullptr) return keys_by_->VersionOf(key);
  std::lock_guard<std::mutex> lock(cache_mu_);
  auto it = cache_.find(key);
  if (it == cache_.end()) return std::nullopt;
  return it->second.resource_version;
}

void Informer::StoreLocked(const std::string& key, const Json* object) {
  if (keys_by_ != nullptr) return;  // the handler's store records it
  auto it = cache_.find(key);
  if (object == nullptr) {
    if (it != cache_.end()) cache_.erase(it);
    return;
  }
  if (it == cache_.end()) it = cache_.emplace(key, Cached{}).first;
  it->second.resource_version = ResourceVersionOf(*object);
  if (!keys_only_) it->second.object = std::make_unique<const Json>(*object);
}

size_t Informer::Size() const {
  if (keys_by_ != nullptr) return keys_by_->size();
  std::lock_guard<std::mutex> lock(cache_mu_);
  return cache_.size();
}

std::optional<Json> Informer::Get(const std::string& ns, const std::string& name) const {
  const std::string key = ns + "/" + name;
  if (keys_by_ != nullptr) {
    const auto version = keys_by_->VersionOf(key);
    if (!version) return std::nullopt;
    return ObjectOf(key, *version);
  }
  std::lock_guard<std::mutex> lock(cache_mu_);
  auto it = cache_.find(key);
  if (it == cache_.end()) return std::nullopt;
  if (it->second.object) return *it->second.object;
  return ObjectOf(key, it->second.resource_version);
}

void Informer::Deliver(const std::string& type, const Json& object, const Json* kept) {
  Json slim;
  if (kept == nullptr) {
    if (transform_) {
      slim = transform_(object);
      kept = &slim;
    } else {
      kept = &object;
    }
  }
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    StoreLocked(KeyOf(*kept), type == "DELETED" ? nullptr : kept);
  }
  handler_(type, object);
}

bool Informer::ListAndDeliver() {
  // Deliver the difference against the cache, a page at a time: each item is slimmed and
  // delivered as its page is taken, so a 50,000-pod relist holds one page of whole objects
  // and never a second copy of the cache. What the cache holds and the list did not have
  // was deleted while we were away: delivered once the list is whole.
  std::set<std::string> listed;
  ListOptions page_options = options_;
  page_options.one_page = true;
  page_options.cancel = list_cancel_.get_token();
  std::string list_version;
  do {
    auto page = client_.List(resource_, ns_, page_options);
    if (!page.ok()) {
      if (!stopping_) {
        spdlog::warn("informer {}: list failed: {}", resource_.plural, page.status().ToString());
      }
      return false;
    }
    // Every page is served at the first page's resourceVersion.
    if (list_version.empty()) list_version = page->resource_version;
    for (auto& item : page->items) {
      Json slim;
      const Json& kept = transform_ ? (slim = transform_(item)) : item;
      std::string key = KeyOf(kept);
      std::string type;
      if (const auto version = CachedVersion(key); !version) {
        type = "ADDED";
      } else if (*version != ResourceVersionOf(kept)) {
        type = "MODIFIED";
      }
      listed.insert(std::move(key));
      if (!type.empty()) Deliver(type, item, &kept);
      item = Json();  // this page's whole objects go as they are handed on
    }
    page_options.continue_token = page->continue_token;
  } while (!page_options.continue_token.empty());
  ++lists_;
  std::vector<Json> gone;
  // Only what is gone is made into an object: a relist of 50,000 pods finds a few.
  ForEachCached([&](const std::string& key, const std::string& version, const Json* object) {
    if (!listed.count(key)) gone.push_back(object != nullptr ? *object : ObjectOf(key, version));
  });
  for (const auto& obj : gone) Deliver("DELETED", obj, &obj);
  listed.clear();
  // The list's pages were the largest allocations this process makes: a controller that
  // listed 50,000 pods once would otherwise hold that much for good.
  ReturnFreedHeapToSystem();
  last_rv_ = list_version;
  synced_ = true;
  backoff_ = kBackoffBase;
  return true;
}

void Informer::Backoff() {
  static thread_local std::mt19937 rng(std::random_device{}());
  // Full jitter: anywhere in [backoff/2, backoff], so many informers do not retry in step.
  const auto wait = backoff_ / 2 + std::chrono::milliseconds(rng() % (backoff_.count() / 2 + 1));
  std::unique_lock<std::mutex> lock(wait_mu_);
  wait_cv_.wait_for(lock, wait, [this] { return stopping_.load(); });
  backoff_ = std::min(backoff_ * 2, kBackoffCap);
}

void Informer::Run() {
  bool need_list = true;
  while (!stopping_) {
    if (need_list) {
      if (!ListAndDeliver()) {
        Backoff();
        continue;
      }
      need_list = false;
    }
    auto stream = client_.Watch(resource_, ns_, options_, last_rv_);
    if (!stream.ok()) {
      if (stream.status().code() == StatusCode::kGone) {
        need_list = true;
        continue;
      }
      spdlog::warn("informer {}: watch failed: {}", resource_.plural, stream.status().ToString());
      Backoff();
      continue;
    }
    ++watches_;
    {
      std::lock_guard<std::mutex> lock(stream_mu_);
      stream_ = std::move(*stream);
      if (stopping_) stream_->Stop();
    }
    while (!stopping_) {
      auto event = stream_->Next();
      if (!event.ok()) {
        if (event.status().code() == StatusCode::kGone) {
          need_list = true;  // history compacted past us: relist and diff
        } else {
          spdlog::warn("informer {}: {}", resource_.plural, event.status().ToString());
          Backoff();
        }
        break;
      }
      if (!event->has_value()) break;  // the server ended the stream: resume from last_rv_
      const WatchEvent& e = **event;
      const std::string rv = ResourceVersionOf(e.object);
      if (!rv.empty()) last_rv_ = rv;
      if (e.type == "BOOKMARK") continue;
      Deliver(e.type, e.object);
      backoff_ = kBackoffBase;
    }
    std::lock_guard<std::mutex> lock(stream_mu_);
    stream_.reset();
  }
}

}  // namespace kcau::kube
