// An informer that keeps keys only (KeepKeysOnly): its cache holds each object's key and
// resourceVersion, its relists still tell changed and deleted objects apart, and a deleted
// object reaches the handler by its namespace and name. One whose keys its handler's store
// keeps (KeysKeptBy) does the same with no cache of its own.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "kube/informer.h"
#include "kube/object_meta.h"
#include "sim/object_store.h"
#include "sim/store_client.h"

namespace kcau::kube {
namespace {

namespace res = resources;

Json Pod(const std::string& name, const std::string& app) {
  Json pod = Json::object();
  pod["metadata"]["name"] = Json::string(name);
  pod["metadata"]["namespace"] = Json::string("default");
  pod["metadata"]["labels"]["app"] = Json::string(app);
  pod["spec"]["nodeName"] = Json::string("n1");
  return pod;
}

// Every watch is refused with 410 Gone, so the informer learns of every change by relisting
// and comparing its cache: the path a keys-only cache must still serve.
class RelistOnlyClient : public sim::StoreClient {
 public:
  using sim::StoreClient::StoreClient;
  StatusOr<std::unique_ptr<WatchStream>> Watch(const Resource&, const std::string&,
                                               const ListOptions&, const std::string&) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return GoneError("too old resource version");
  }
};

struct Seen {
  std::mutex mu;
  std::vector<std::string> events;  // "TYPE ns/name"
  void Add(const std::string& type, const Json& o) {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back(type + " " + o.at("metadata").at("namespace").as_string() + "/" +
                     o.at("metadata").at("name").as_string());
  }
  bool Has(const std::string& event) {
    std::lock_guard<std::mutex> lock(mu);
    return std::find(events.begin(), events.end(), event) != events.end();
  }
};

bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 5000 && !done(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

TEST(InformerKeysOnlyTest, KeepsKeysAndVersionsAndRelistsTellChangesAndDeletions) {
  FakeClock clock{TimePoint{}};
  sim::ObjectStore store{clock};
  RelistOnlyClient client{store};
  ASSERT_TRUE(store.Create(res::Pods(), "default", Pod("p1", "web")).ok());
  ASSERT_TRUE(store.Create(res::Pods(), "default", Pod("p2", "web")).ok());
  Seen seen;
  Informer informer{client, res::Pods(), "", {}, [&](const std::string& type, const Json& o) {
                      seen.Add(type, o);
                    }};
  informer.KeepKeysOnly();
  informer.Start();
  ASSERT_TRUE(Eventually([&] { return informer.HasSynced() && informer.Size() == 2; }));
  EXPECT_TRUE(seen.Has("ADDED default/p1"));

  // What the cache holds: the key and the version, nothing of the pod itself.
  std::map<std::string, Json> cached;
  informer.Visit([&](const Json& o) { cached[o.at("metadata").at("name").as_string()] = o; });
  ASSERT_EQ(cached.size(), 2u);
  const Json& p1 = cached["p1"];
  EXPECT_EQ(p1.size(), 1u) << p1.serialize();
  EXPECT_EQ(p1.at("metadata").size(), 3u) << p1.serialize();
  EXPECT_EQ(p1.at("metadata").at("namespace").as_string(), "default");
  const auto stored = store.Get(res::Pods(), {"default", "p1"});
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(p1.at("metadata").at("resourceVersion"), stored->at("metadata").at("resourceVersion"));
  ASSERT_TRUE(informer.Get("default", "p2").has_value());
  EXPECT_EQ(informer.Get("default", "p2")->at("metadata").at("name").as_string(), "p2");
  EXPECT_EQ(informer.Snapshot().size(), 2u);

  // A relist finds p1 at a new version and p2 gone.
  Json changed = *stored;
  changed["metadata"]["labels"]["app"] = Json::string("api");
  ASSERT_TRUE(store.Update(res::Pods(), {"default", "p1"}, changed, false).ok());
  ASSERT_TRUE(store.Delete(res::Pods(), {"default", "p2"}).ok());
  EXPECT_TRUE(Eventually([&] { return seen.Has("MODIFIED default/p1"); }));
  EXPECT_TRUE(Eventually([&] { return seen.Has("DELETED default/p2"); }))
      << "a deleted object reaches the handler by its namespace and name";
  EXPECT_TRUE(Eventually([&] { return informer.Size() == 1; }));
  informer.Stop();
}

// The store a handler feeds, keeping each key's version as VersionedKeys asks.
class VersionMap : public VersionedKeys {
 public:
  void Apply(const std::string& type, const Json& o) {
    const std::string key = o.at("metadata").at("namespace").as_string() + "/" +
                            o.at("metadata").at("name").as_string();
    std::lock_guard<std::mutex> lock(mu_);
    if (type == "DELETED") {
      versions_.erase(key);
    } else {
      versions_[key] = o.at("metadata").at("resourceVersion").as_string();
    }
  }
  std::optional<std::string> VersionOf(const std::string& key) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = versions_.find(key);
    if (it == versions_.end()) return std::nullopt;
    return it->second;
  }
  void ForEachKey(
      const std::function<void(const std::string&, const std::string&)>& visit) const override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, version] : versions_) visit(key, version);
  }
  size_t size() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return versions_.size();
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> versions_;
};

TEST(InformerKeysOnlyTest, KeysKeptByTheHandlersStoreServeRelistsAndReads) {
  FakeClock clock{TimePoint{}};
  sim::ObjectStore store{clock};
  RelistOnlyClient client{store};
  ASSERT_TRUE(store.Create(res::Pods(), "default", Pod("p1", "web")).ok());
  ASSERT_TRUE(store.Create(res::Pods(), "default", Pod("p2", "web")).ok());
  ASSERT_TRUE(store.Create(res::Pods(), "default", Pod("p3", "web")).ok());
  Seen seen;
  VersionMap versions;
  Informer informer{client, res::Pods(), "", {}, [&](const std::string& type, const Json& o) {
                      seen.Add(type, o);
                      versions.Apply(type, o);
                    }};
  informer.KeysKeptBy(versions);
  informer.Start();
  ASSERT_TRUE(Eventually([&] { return informer.HasSynced() && informer.Size() == 3; }));
  // Reads go to the store's keys and versions.
  const auto stored = store.Get(res::Pods(), {"default", "p1"});
  ASSERT_TRUE(stored.ok());
  const auto p1 = informer.Get("default", "p1");
  ASSERT_TRUE(p1.has_value());
  EXPECT_EQ(p1->at("metadata").at("resourceVersion"), stored->at("metadata").at("resourceVersion"));
  EXPECT_FALSE(informer.Get("default", "nope").has_value());
  EXPECT_EQ(informer.Snapshot().size(), 3u);

  // Relists compare against the store: p1 changed, p2 deleted, p3 unchanged (never
  // delivered again however many relists pass).
  Json changed = *stored;
  changed["metadata"]["labels"]["app"] = Json::string("api");
  ASSERT_TRUE(store.Update(res::Pods(), {"default", "p1"}, changed, false).ok());
  ASSERT_TRUE(store.Delete(res::Pods(), {"default", "p2"}).ok());
  EXPECT_TRUE(Eventually([&] { return seen.Has("MODIFIED default/p1"); }));
  EXPECT_TRUE(Eventually([&] { return seen.Has("DELETED default/p2"); }));
  EXPECT_TRUE(Eventually([&] { return informer.Size() == 2; }));
  const int lists = informer.Lists();
  ASSERT_TRUE(Eventually([&] { return informer.Lists() >= lists + 3; }));
  informer.Stop();
  EXPECT_FALSE(seen.Has("MODIFIED default/p3"));
  EXPECT_FALSE(seen.Has("MODIFIED default/p2"));
  EXPECT_EQ(std::count(seen.events.begin(), seen.events.end(), "ADDED default/p3"), 1);
  EXPECT_EQ(versions.VersionOf("default/p1"),
            ResourceVersionOf(*store.Get(res::Pods(), {"default", "p1"})));
}

}  // namespace
}  // namespace kcau::kube
