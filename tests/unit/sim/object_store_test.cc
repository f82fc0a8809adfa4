#include "sim/object_store.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "kube/disruption_budget.h"
#include "sim/json_patch.h"

namespace kcau::sim {
namespace {

using kube::Json;
namespace res = kube::resources;

const TimePoint kStart = WallClock::from_time_t(1800000000);

Json Parse(const std::string& s) { return Json::parse(s); }

Json Node(const std::string& name, const std::string& zone = "a") {
  return Parse(R"({"metadata":{"name":")" + name + R"(","labels":{"zone":")" + zone +
               R"("}},"spec":{},"status":{"phase":"x"}})");
}

Json Pod(const std::string& name, const std::string& node, bool ready = true) {
  return Parse(R"({"metadata":{"name":")" + name +
               R"(","namespace":"web","labels":{"app":"web"}},"spec":{"nodeName":")" + node +
               R"("},"status":{"phase":"Running","conditions":[{"type":"Ready","status":")" +
               (ready ? "True" : "False") + R"("}]}})");
}

std::string Rv(const Json& o) { return o.at("metadata").at("resourceVersion").as_string(); }
int64_t Generation(const Json& o) {
  return o.at("metadata").at("generation").as_number().to_int64();
}

class ObjectStoreTest : public ::testing::Test {
 protected:
  ObjectStoreTest() : clock_(kStart), store_(clock_, 50) {}
  // A budget of 1 (`field`: minAvailable or maxUnavailable) over the pods labelled app=web.
  StatusOr<Json> CreateWebBudget(const std::string& field) {
    return store_.Create(res::PodDisruptionBudgets(), "web",
                         Parse(R"({"metadata":{"name":"web"},"spec":{")" + field +
                               R"(":1,)"
                               R"("selector":{"matchLabels":{"app":"web"}}}})"));
  }
  FakeClock clock_;
  ObjectStore store_;
};

TEST_F(ObjectStoreTest, CreateFillsMetadataAndRefusesDuplicates) {
  auto n = store_.Create(res::Nodes(), "", Node("n1"));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->at("kind").as_string(), "Node");
  EXPECT_EQ(n->at("apiVersion").as_string(), "v1");
  EXPECT_EQ(n->at("metadata").at("creationTimestamp").as_string(), "2027-01-15T08:00:00Z");
  EXPECT_EQ(n->at("metadata").at("uid").as_string().size(), 36u);
  EXPECT_EQ(Generation(*n), 1);
  auto again = store_.Create(res::Nodes(), "", Node("n1"));
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  auto pod = store_.Create(res::Pods(), "", Parse(R"({"metadata":{"name":"p"}})"));
  ASSERT_TRUE(pod.ok());
  EXPECT_EQ(pod->at("metadata").at("namespace").as_string(), "default");
}

TEST_F(ObjectStoreTest, GenerationMovesOnSpecChangesOnly) {
  ASSERT_TRUE(
      store_.Create(res::UpdateRuns(), "", Parse(R"({"metadata":{"name":"r"},"spec":{"a":1}})"))
          .ok());
  auto labels = store_.Patch(res::UpdateRuns(), {"", "r"}, kube::PatchType::kMerge,
                             Parse(R"({"metadata":{"labels":{"x":"y"}}})"), false);
  ASSERT_TRUE(labels.ok());
  EXPECT_EQ(Generation(*labels), 1);
  auto status = store_.Patch(res::UpdateRuns(), {"", "r"}, kube::PatchType::kMerge,
                             Parse(R"({"status":{"phase":"Running"}})"), true);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(Generation(*status), 1);
  auto spec = store_.Patch(res::UpdateRuns(), {"", "r"}, kube::PatchType::kMerge,
                           Parse(R"({"spec":{"a":2}})"), false);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(Generation(*spec), 2);
}

TEST_F(ObjectStoreTest, StaleResourceVersionIsAConflict) {
  auto n = store_.Create(res::Nodes(), "", Node("n1"));
  ASSERT_TRUE(n.ok());
  Json first = *n;
  first["spec"]["unschedulable"] = Json::boolean(true);
  ASSERT_TRUE(store_.Update(res::Nodes(), {"", "n1"}, first, false).ok());
  Json stale = *n;  // still carries the old resourceVersion
  stale["spec"]["podCIDR"] = Json::string("10.0.0.0/24");
  auto conflict = store_.Update(res::Nodes(), {"", "n1"}, stale, false);
  EXPECT_EQ(conflict.status().code(), StatusCode::kConflict);
  EXPECT_NE(conflict.status().message().find("the object has been modified"), std::string::npos);
}

TEST_F(ObjectStoreTest, StatusSubresourceSplitsSpecFromStatus) {
  ASSERT_TRUE(
      store_
          .Create(res::UpdateRuns(), "",
                  Parse(R"({"metadata":{"name":"r"},"spec":{"a":1},"status":{"phase":"Hacked"}})"))
          .ok());
  Json r = *store_.Get(res::UpdateRuns(), {"", "r"});
  EXPECT_FALSE(r.has_field("status")) << "status is ignored on create for custom resources";
  r["spec"]["a"] = Json::number(9);
  r["status"]["phase"] = Json::string("Running");
  auto via_status = store_.Update(res::UpdateRuns(), {"", "r"}, r, true);
  ASSERT_TRUE(via_status.ok());
  EXPECT_EQ(via_status->at("spec").at("a").as_integer(), 1) << "spec changed through /status";
  EXPECT_EQ(via_status->at("status").at("phase").as_string(), "Running");
  Json main = *via_status;
  main["status"]["phase"] = Json::string("Succeeded");
  auto via_main = store_.Update(res::UpdateRuns(), {"", "r"}, main, false);
  ASSERT_TRUE(via_main.ok());
  EXPECT_EQ(via_main->at("status").at("phase").as_string(), "Running")
      << "status changed through the main resource";
}

TEST_F(ObjectStoreTest, ListFiltersBySelectors) {
  ASSERT_TRUE(store_.Create(res::Nodes(), "", Node("n1", "a")).ok());
  ASSERT_TRUE(store_.Create(res::Nodes(), "", Node("n2", "b")).ok());
  ASSERT_TRUE(store_.Create(res::Pods(), "web", Pod("p1", "n1")).ok());
  ASSERT_TRUE(store_.Create(res::Pods(), "web", Pod("p2", "n2")).ok());
  auto zone_b = store_.List(res::Nodes(), "", {"zone=b", ""});
  ASSERT_TRUE(zone_b.ok());
  ASSERT_EQ(zone_b->items.size(), 1u);
  EXPECT_EQ(zone_b->items[0].at("metadata").at("name").as_string(), "n2");
  auto on_n1 = store_.List(res::Pods(), "", {"", "spec.nodeName=n1"});
  ASSERT_EQ(on_n1->items.size(), 1u);
  EXPECT_EQ(on_n1->items[0].at("metadata").at("name").as_string(), "p1");
  EXPECT_EQ(store_.List(res::Nodes(), "", {"zone in (a,b)", ""})->items.size(), 2u);
  EXPECT_EQ(store_.List(res::Nodes(), "", {"", "bad.field=x"}).status().code(),
            StatusCode::kInvalidArgument);
}

// The pods-by-node index behind `fieldSelector=spec.nodeName=X` and PodCountsOn must say
// what a full scan says after every kind of write: creates, moves (update, merge patch, JSON
// patch), deletes, evictions, deletes held by a finalizer and released, and a reload.
std::vector<std::string> NamesOf(const kube::ObjectList& list) {
  std::vector<std::string> names;
  for (const auto& o : list.items) {
    names.push_back(o.at("metadata").at("namespace").as_string() + "/" +
                    o.at("metadata").at("name").as_string());
  }
  return names;
}

void ExpectIndexMatchesScan(const ObjectStore& store, const std::string& step) {
  SCOPED_TRACE(step);
  const auto all = store.List(res::Pods(), "", {});
  ASSERT_TRUE(all.ok());
  std::map<std::string, std::vector<std::string>> scanned;  // node -> "ns/name", key order
  std::map<std::string, size_t> counts;
  for (const auto& p : all->items) {
    const std::string node =
        p.at("spec").has_string_field("nodeName") ? p.at("spec").at("nodeName").as_string() : "";
    scanned[node].push_back(p.at("metadata").at("namespace").as_string() + "/" +
                            p.at("metadata").at("name").as_string());
    if (!node.empty()) ++counts[node];
  }
  const std::set<std::string> nodes = {"n1", "n2", "n3", "nowhere"};
  std::vector<size_t> expected;
  for (const auto& node : nodes) expected.push_back(counts.count(node) ? counts.at(node) : 0);
  EXPECT_EQ(store.PodCountsOn(nodes), expected);
  for (const std::string node : {"n1", "n2", "n3", "nowhere", ""}) {
    auto listed = store.List(res::Pods(), "", {"", "spec.nodeName=" + node});
    ASSERT_TRUE(listed.ok()) << node;
    EXPECT_EQ(NamesOf(*listed), scanned[node]) << "node " << node;
    // One namespace, and paged: the same pods, pages resuming through the index.
    auto in_web = store.List(res::Pods(), "web", {"", "spec.nodeName=" + node});
    std::vector<std::string> web_only;
    for (const auto& n : scanned[node]) {
      if (n.rfind("web/", 0) == 0) web_only.push_back(n);
    }
    EXPECT_EQ(NamesOf(*in_web), web_only) << "node " << node << " in web";
    kube::ListOptions paged{"", "spec.nodeName=" + node};
    paged.limit = 2;
    std::vector<std::string> pages;
    for (int page = 0; page < 20; ++page) {
      auto got = store.List(res::Pods(), "", paged);
      ASSERT_TRUE(got.ok());
      const auto names = NamesOf(*got);
      pages.insert(pages.end(), names.begin(), names.end());
      if (got->continue_token.empty()) break;
      EXPECT_EQ(got->remaining_item_count,
                static_cast<int64_t>(scanned[node].size() - pages.size()));
      paged.continue_token = got->continue_token;
    }
    EXPECT_EQ(pages, scanned[node]) << "node " << node << " paged";
  }
}

TEST_F(ObjectStoreTest, PodsByNodeIndexAgreesWithAFullScan) {
  for (int i = 0; i < 9; ++i) {
    const std::string node = "n" + std::to_string(i % 3 + 1);
    const std::string ns = i % 2 ? "web" : "db";
    Json pod = Pod("p" + std::to_string(i), node);
    pod["metadata"]["namespace"] = Json::string(ns);
    ASSERT_TRUE(store_.Create(res::Pods(), ns, pod).ok());
  }
  Json unscheduled = Pod("pending", "n1");
  unscheduled["spec"].erase("nodeName");
  ASSERT_TRUE(store_.Create(res::Pods(), "web", unscheduled).ok());
  ExpectIndexMatchesScan(store_, "created");

  // Moves: a replace, merge and JSON patches, a pending pod scheduled; a dry run moves nothing.
  auto patch = [&](const std::string& ns, const std::string& name, kube::PatchType type,
                   const std::string& body, bool dry_run = false) {
    return store_.Patch(res::Pods(), {ns, name}, type, Parse(body), false, dry_run).ok();
  };
  const auto merge = kube::PatchType::kMerge;
  auto p0 = store_.Get(res::Pods(), {"db", "p0"});
  ASSERT_TRUE(p0.ok());
  (*p0)["spec"]["nodeName"] = Json::string("n2");
  ASSERT_TRUE(store_.Update(res::Pods(), {"db", "p0"}, *p0, false).ok());
  ASSERT_TRUE(patch("web", "p1", merge, R"({"spec":{"nodeName":"n3"}})"));
  ASSERT_TRUE(
      patch("web", "p3", kube::PatchType::kJson, R"([{"op":"remove","path":"/spec/nodeName"}])"));
  ASSERT_TRUE(patch("web", "pending", merge, R"({"spec":{"nodeName":"n1"}})"));
  ASSERT_TRUE(patch("db", "p2", merge, R"({"spec":{"nodeName":"n1"}})", /*dry_run=*/true));
  ExpectIndexMatchesScan(store_, "moved");

  ASSERT_TRUE(store_.Delete(res::Pods(), {"db", "p4"}).ok());
  ASSERT_TRUE(store_.Evict({"web", "p5"}).ok());
  ASSERT_TRUE(store_.Delete(res::Pods(), {"db", "p6"}, /*dry_run=*/true).ok());
  ExpectIndexMatchesScan(store_, "deleted");

  // Held by a finalizer: listed until the finalizer goes, then gone from the index too.
  ASSERT_TRUE(patch("db", "p8", merge, R"({"metadata":{"finalizers":["example.com/hold"]}})"));
  ASSERT_TRUE(store_.Delete(res::Pods(), {"db", "p8"}).ok());
  ExpectIndexMatchesScan(store_, "terminating");
  ASSERT_TRUE(patch("db", "p8", merge, R"({"metadata":{"finalizers":[]}})"));
  EXPECT_FALSE(store_.Get(res::Pods(), {"db", "p8"}).ok());
  ExpectIndexMatchesScan(store_, "finalizer released");

  ObjectStore loaded(clock_);
  ASSERT_TRUE(loaded.ImportState(store_.ExportState()).ok());
  ExpectIndexMatchesScan(loaded, "reloaded");
}

TEST_F(ObjectStoreTest, ListPagesWithLimitAndContinue) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(
        store_.Create(res::Nodes(), "", Node("n" + std::to_string(i), i % 2 ? "b" : "a")).ok());
  }
  kube::ListOptions options;
  options.limit = 3;
  auto first = store_.List(res::Nodes(), "", options);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->items.size(), 3u);
  EXPECT_EQ(first->remaining_item_count, 4);
  ASSERT_FALSE(first->continue_token.empty());
  const std::string rv = first->resource_version;
  // A change between pages: later pages keep the first page's resourceVersion.
  ASSERT_TRUE(store_.Create(res::Nodes(), "", Node("n9", "a")).ok());
  std::vector<std::string> names;
  for (const auto& o : first->items) names.push_back(o.at("metadata").at("name").as_string());
  options.continue_token = first->continue_token;
  while (!options.continue_token.empty()) {
    auto page = store_.List(res::Nodes(), "", options);
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page->resource_version, rv);
    EXPECT_LE(page->items.size(), 3u);
    for (const auto& o : page->items) names.push_back(o.at("metadata").at("name").as_string());
    options.continue_token = page->continue_token;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"n0", "n1", "n2", "n3", "n4", "n5", "n6", "n9"}));

  // With a selector, pages count only matches; an exact fit hands out no token.
  kube::ListOptions zone_b{"zone=b", ""};
  zone_b.limit = 3;
  auto b = store_.List(res::Nodes(), "", zone_b);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->items.size(), 3u);
  EXPECT_TRUE(b->continue_token.empty());

  kube::ListOptions garbage;
  garbage.continue_token = "not-a-token";
  auto refused = store_.List(res::Nodes(), "", garbage);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("continue"), std::string::npos);
}

TEST_F(ObjectStoreTest, EvictionHonoursPodDisruptionBudgets) {
  ASSERT_TRUE(store_.Create(res::Pods(), "web", Pod("p1", "n1")).ok());
  ASSERT_TRUE(store_.Create(res::Pods(), "web", Pod("p2", "n2")).ok());
  ASSERT_TRUE(store_.Create(res::Pods(), "web", Pod("p3", "n3", /*ready=*/false)).ok());
  ASSERT_TRUE(CreateWebBudget("minAvailable").ok());
  auto pdb = store_.Get(res::PodDisruptionBudgets(), {"web", "web"});
  EXPECT_EQ(pdb->at("status").at("disruptionsAllowed").as_integer(), 1);
  EXPECT_TRUE(store_.Evict({"web", "p1"}).ok());
  Status refused = store_.Evict({"web", "p2"});
  EXPECT_EQ(refused.code(), StatusCode::kTooManyRequests);
  // The API server's message, and its DisruptionBudget cause naming the budget (on the wire:
  // details.causes).
  EXPECT_EQ(refused.message(),
            "Cannot evict pod as it would violate the pod's disruption budget. (The disruption "
            "budget web needs 1 healthy pods and has 1 currently)");
  EXPECT_EQ(kube::DisruptionBudgetOf(refused), "web");
  EXPECT_TRUE(store_.Get(res::Pods(), {"web", "p2"}).ok());
  EXPECT_TRUE(store_.Evict({"web", "p3"}).ok()) << "an unready pod may always be evicted";
  EXPECT_EQ(store_.Evict({"web", "gone"}).code(), StatusCode::kNotFound);
}

TEST_F(ObjectStoreTest, MaxUnavailableBudgetCountsTheOwnersScale) {
  ASSERT_TRUE(store_
                  .Create({"apps", "v1", "replicasets", "ReplicaSet", true}, "web",
                          Parse(R"({"metadata":{"name":"rs"},"spec":{"replicas":2}})"))
                  .ok());
  const std::string uid =
      store_.Get({"apps", "v1", "replicasets", "ReplicaSet", true}, {"web", "rs"})
          ->at("metadata")
          .at("uid")
          .as_string();
  for (const char* name : {"p1", "p2"}) {
    Json p = Pod(name, "n1");
    p["metadata"]["ownerReferences"][0] =
        Parse(R"({"kind":"ReplicaSet","name":"rs","uid":")" + uid + R"("})");
    ASSERT_TRUE(store_.Create(res::Pods(), "web", p).ok());
  }
  ASSERT_TRUE(CreateWebBudget("maxUnavailable").ok());
  EXPECT_TRUE(store_.Evict({"web", "p1"}).ok());
  // p1 is gone but not replaced: the ReplicaSet still wants 2, so one is already missing.
  EXPECT_EQ(store_.Evict({"web", "p2"}).code(), StatusCode::kTooManyRequests);
}

// An eviction spends the budget on the spot and the recount is lazy; a state saved in
// between must not come back with the spent budget for good.
TEST_F(ObjectStoreTest, BudgetSpentBeforeASaveIsRecountedAfterTheLoad) {
  for (const char* name : {"p1", "p2"}) {
    ASSERT_TRUE(store_.Create(res::Pods(), "web", Pod(name, "n1")).ok());
  }
  ASSERT_TRUE(CreateWebBudget("minAvailable").ok());
  ASSERT_TRUE(store_.Evict({"web", "p1"}).ok());
  ASSERT_TRUE(store_.Create(res::Pods(), "web", Pod("p1-new", "n2")).ok());  // the replacement
  const Json saved = store_.ExportState();

  ObjectStore loaded(clock_);
  ASSERT_TRUE(loaded.ImportState(saved).ok());
  EXPECT_TRUE(loaded.Evict({"web", "p2"}).ok()) << "p1-new took p1's place";
  EXPECT_EQ(loaded.Evict({"web", "p1-new"}).code(), StatusCode::kTooManyRequests);
}

// Finalizers, as the API server keeps them: a delete only marks the object; it goes when
// the last finalizer is removed, and watchers see that as DELETED.
TEST_F(ObjectStoreTest, FinalizersHoldADeleteUntilRemoved) {
  Json node = Node("n1");
  node["metadata"]["finalizers"] = Parse(R"(["example.com/hold"])");
  ASSERT_TRUE(store_.Create(res::Nodes(), "", node).ok());
  auto watch = store_.Watch(res::Nodes(), "", {}, std::to_string(store_.CurrentResourceVersion()));
  ASSERT_TRUE(watch.ok());

  auto marked = store_.Delete(res::Nodes(), {"", "n1"});
  ASSERT_TRUE(marked.ok());
  EXPECT_TRUE(marked->at("metadata").has_string_field("deletionTimestamp"));
  auto still = store_.Get(res::Nodes(), {"", "n1"});
  ASSERT_TRUE(still.ok()) << "held by its finalizer";
  EXPECT_TRUE(still->at("metadata").has_string_field("deletionTimestamp"));
  // A client cannot clear deletionTimestamp: the server owns it.
  Json patch = Parse(R"({"metadata":{"deletionTimestamp":null,"labels":{"a":"b"}}})");
  ASSERT_TRUE(store_.Patch(res::Nodes(), {"", "n1"}, kube::PatchType::kMerge, patch, false).ok());
  EXPECT_TRUE(store_.Get(res::Nodes(), {"", "n1"})->at("metadata").has_field("deletionTimestamp"));

  Json release = Parse(R"({"metadata":{"finalizers":[]}})");
  ASSERT_TRUE(store_.Patch(res::Nodes(), {"", "n1"}, kube::PatchType::kMerge, release, false).ok());
  EXPECT_EQ(store_.Get(res::Nodes(), {"", "n1"}).status().code(), StatusCode::kNotFound);
  std::vector<std::string> types;
  while (auto e = (*watch)->Pop(std::chrono::milliseconds(0))) types.push_back(e->type);
  EXPECT_EQ(types, (std::vector<std::string>{"MODIFIED", "MODIFIED", "MODIFIED", "DELETED"}));
}

TEST_F(ObjectStoreTest, WatchReplaysFromZeroAndResumesFromAVersion) {
  ASSERT_TRUE(store_.Create(res::Nodes(), "", Node("n1")).ok());
  auto from_zero = store_.Watch(res::Nodes(), "", {}, "0");
  ASSERT_TRUE(from_zero.ok());
  auto e = (*from_zero)->Pop(std::chrono::milliseconds(0));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->type, "ADDED");
  const std::string rv = Rv(*e->object);
  ASSERT_TRUE(store_
                  .Patch(res::Nodes(), {"", "n1"}, kube::PatchType::kMerge,
                         Parse(R"({"spec":{"unschedulable":true}})"), false)
                  .ok());
  ASSERT_TRUE(store_.Delete(res::Nodes(), {"", "n1"}).ok());
  for (auto* q : {from_zero->get()}) {
    EXPECT_EQ(q->Pop(std::chrono::milliseconds(0))->type, "MODIFIED");
    EXPECT_EQ(q->Pop(std::chrono::milliseconds(0))->type, "DELETED");
  }
  auto resumed = store_.Watch(res::Nodes(), "", {}, rv);
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ((*resumed)->Pop(std::chrono::milliseconds(0))->type, "MODIFIED");
  EXPECT_EQ((*resumed)->Pop(std::chrono::milliseconds(0))->type, "DELETED");
  EXPECT_FALSE((*resumed)->Pop(std::chrono::milliseconds(0)).has_value());
}

// Events share the stored objects rather than copying them, so what a watcher was handed
// must never change afterwards: every write, an eviction spending a budget included, stores
// a new object.
TEST_F(ObjectStoreTest, AnEventsObjectNeverChangesAfterItWasHandedOut) {
  ASSERT_TRUE(store_.Create(res::Pods(), "web", Pod("p1", "n1")).ok());
  ASSERT_TRUE(store_.Create(res::Pods(), "web", Pod("p2", "n2")).ok());
  ASSERT_TRUE(CreateWebBudget("minAvailable").ok());
  auto budgets = store_.Watch(res::PodDisruptionBudgets(), "", {}, "0");
  auto nodes = store_.Watch(res::Nodes(), "", {}, "0");
  ASSERT_TRUE(budgets.ok() && nodes.ok());
  ASSERT_TRUE(store_.Create(res::Nodes(), "", Node("n1")).ok());
  auto budget = (*budgets)->Pop(std::chrono::milliseconds(0));
  auto node = (*nodes)->Pop(std::chrono::milliseconds(0));
  ASSERT_TRUE(budget.has_value() && node.has_value());
  const Json budget_seen = *budget->object;
  const Json node_seen = *node->object;
  ASSERT_EQ(budget_seen.at("status").at("disruptionsAllowed").as_integer(), 1);

  ASSERT_TRUE(store_.Evict({"web", "p1"}).ok());  // spends the budget's one disruption
  EXPECT_EQ(store_.Evict({"web", "p2"}).code(), StatusCode::kTooManyRequests);
  ASSERT_TRUE(store_
                  .Patch(res::Nodes(), {"", "n1"}, kube::PatchType::kMerge,
                         Parse(R"({"spec":{"unschedulable":true}})"), false)
                  .ok());
  ASSERT_TRUE(store_.Delete(res::Nodes(), {"", "n1"}).ok());

  EXPECT_EQ(*budget->object, budget_seen);
  EXPECT_EQ(*node->object, node_seen);
  auto modified = (*nodes)->Pop(std::chrono::milliseconds(0));
  auto deleted = (*nodes)->Pop(std::chrono::milliseconds(0));
  ASSERT_TRUE(modified.has_value() && deleted.has_value());
  EXPECT_TRUE(modified->object->at("spec").at("unschedulable").as_bool());
  EXPECT_NE(Rv(*modified->object), Rv(*deleted->object));
  EXPECT_EQ(Rv(*node->object), Rv(node_seen));
}

TEST_F(ObjectStoreTest, TooOldVersionIsGone) {
  ASSERT_TRUE(store_.Create(res::Nodes(), "", Node("n1")).ok());
  for (int i = 0; i < 60; ++i) {  // history keeps 50 events
    ASSERT_TRUE(store_
                    .Patch(res::Nodes(), {"", "n1"}, kube::PatchType::kMerge,
                           Parse(R"({"spec":{"podCIDR":")" + std::to_string(i) + R"("}})"), false)
                    .ok());
  }
  auto w = store_.Watch(res::Nodes(), "", {}, "1");
  EXPECT_EQ(w.status().code(), StatusCode::kGone);
}

TEST_F(ObjectStoreTest, LabelSelectorWatchSeesObjectsEnterAndLeave) {
  ASSERT_TRUE(store_.Create(res::Nodes(), "", Node("n1", "a")).ok());
  auto w = store_.Watch(res::Nodes(), "", {"zone=b", ""},
                        std::to_string(store_.CurrentResourceVersion()));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(store_
                  .Patch(res::Nodes(), {"", "n1"}, kube::PatchType::kMerge,
                         Parse(R"({"metadata":{"labels":{"zone":"b"}}})"), false)
                  .ok());
  ASSERT_TRUE(store_
                  .Patch(res::Nodes(), {"", "n1"}, kube::PatchType::kMerge,
                         Parse(R"({"metadata":{"labels":{"zone":"c"}}})"), false)
                  .ok());
  EXPECT_EQ((*w)->Pop(std::chrono::milliseconds(0))->type, "ADDED");
  EXPECT_EQ((*w)->Pop(std::chrono::milliseconds(0))->type, "DELETED");
}

TEST(JsonPatchTest, MergeJsonAndStrategic) {
  Json target = Parse(
      R"({"a":{"b":1,"c":2},"list":[1,2],"conditions":[{"type":"Ready","status":"True"},{"type":"Disk","status":"False"}]})");
  EXPECT_EQ(
      ApplyMergePatch(target, Parse(R"({"a":{"b":null,"d":3},"list":[9]})")).serialize(),
      R"({"a":{"c":2,"d":3},"conditions":[{"status":"True","type":"Ready"},{"status":"False","type":"Disk"}],"list":[9]})");
  auto jp = ApplyJsonPatch(
      target,
      Parse(
          R"([{"op":"replace","path":"/a/b","value":5},{"op":"add","path":"/list/-","value":3},{"op":"remove","path":"/a/c"},{"op":"test","path":"/a/b","value":5}])"));
  ASSERT_TRUE(jp.ok()) << jp.status().ToString();
  EXPECT_EQ(jp->at("a").serialize(), R"({"b":5})");
  EXPECT_EQ(jp->at("list").serialize(), "[1,2,3]");
  auto failed_test = ApplyJsonPatch(target, Parse(R"([{"op":"test","path":"/a/b","value":7}])"));
  ASSERT_FALSE(failed_test.ok());
  // The API server's words (evanphx/json-patch), which clients look for.
  EXPECT_EQ(failed_test.status().message(), "testing value /a/b failed: test failed");
  // A missing member tests as null; a missing parent does not apply.
  EXPECT_TRUE(ApplyJsonPatch(target, Parse(R"([{"op":"test","path":"/a/x","value":null}])")).ok());
  EXPECT_FALSE(ApplyJsonPatch(target, Parse(R"([{"op":"test","path":"/a/x","value":1}])")).ok());
  EXPECT_NE(ApplyJsonPatch(target, Parse(R"([{"op":"test","path":"/x/y","value":null}])"))
                .status()
                .message()
                .find("is missing path: /x/y"),
            std::string::npos);
  EXPECT_FALSE(ApplyJsonPatch(target, Parse(R"([{"op":"remove","path":"/nope"}])")).ok());
  auto sm = ApplyStrategicMergePatch(
      target, Parse(R"({"conditions":[{"type":"Ready","status":"False"}]})"));
  ASSERT_TRUE(sm.ok());
  EXPECT_EQ(sm->at("conditions").serialize(),
            R"([{"status":"False","type":"Ready"},{"status":"False","type":"Disk"}])");
}

// dryRun=All: each write answers what it would store, and stores nothing.
TEST_F(ObjectStoreTest, DryRunWritesCheckEverythingAndStoreNothing) {
  const uint64_t rv_before = store_.CurrentResourceVersion();
  auto created = store_.Create(res::Nodes(), "", Node("n1"), /*dry_run=*/true);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->at("metadata").at("name").as_string(), "n1");
  EXPECT_EQ(Generation(*created), 1);
  EXPECT_EQ(store_.Get(res::Nodes(), {"", "n1"}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_.CurrentResourceVersion(), rv_before);

  auto stored = store_.Create(res::Nodes(), "", Node("n1"));
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(store_.Create(res::Nodes(), "", Node("n1"), true).status().code(),
            StatusCode::kAlreadyExists);  // the checks still run
  auto watch = store_.Watch(res::Nodes(), "", {}, Rv(*stored));
  ASSERT_TRUE(watch.ok());

  auto patched = store_.Patch(res::Nodes(), {"", "n1"}, kube::PatchType::kMerge,
                              Parse(R"({"spec":{"unschedulable":true}})"), false, true);
  ASSERT_TRUE(patched.ok());
  EXPECT_TRUE(patched->at("spec").at("unschedulable").as_bool());
  EXPECT_EQ(Generation(*patched), 2);
  Json replaced = *stored;
  replaced["metadata"]["labels"]["zone"] = Json::string("b");
  auto updated = store_.Update(res::Nodes(), {"", "n1"}, replaced, false, true);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->at("metadata").at("labels").at("zone").as_string(), "b");
  ASSERT_TRUE(store_.Delete(res::Nodes(), {"", "n1"}, true).ok());

  auto now = store_.Get(res::Nodes(), {"", "n1"});
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(*now, *stored);
  EXPECT_EQ(store_.CurrentResourceVersion(), std::stoull(Rv(*stored)));
  EXPECT_FALSE((*watch)->Pop(std::chrono::milliseconds(0)).has_value());
  store_.StopWatch(*watch);
}

}  // namespace
}  // namespace kcau::sim
