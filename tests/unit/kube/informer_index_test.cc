// The informer's index (SetIndex/VisitIndexed) through the sim's store: it follows adds,
// changes of the indexed value and deletions, so a reader of one node's pods never scans
// the whole cache and never sees a pod elsewhere.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "common/clock.h"
#include "kube/informer.h"
#include "sim/object_store.h"
#include "sim/store_client.h"

namespace kcau::kube {
namespace {

namespace res = resources;

Json Pod(const std::string& name, const std::string& node) {
  Json pod = Json::object();
  pod["metadata"]["name"] = Json::string(name);
  pod["metadata"]["namespace"] = Json::string("default");
  if (!node.empty()) pod["spec"]["nodeName"] = Json::string(node);
  return pod;
}

std::string NodeOf(const Json& pod) {
  return pod.has_object_field("spec") && pod.at("spec").has_string_field("nodeName")
             ? pod.at("spec").at("nodeName").as_string()
             : "";
}

class InformerIndexTest : public ::testing::Test {
 protected:
  std::set<std::string> On(const std::string& node) {
    std::set<std::string> names;
    informer_.VisitIndexed(
        node, [&](const Json& pod) { names.insert(pod.at("metadata").at("name").as_string()); });
    return names;
  }
  // Bounded polling until the cache holds `size` objects at the store's latest version.
  void WaitFor(const std::function<bool()>& done) {
    for (int i = 0; i < 5000 && !done(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_TRUE(done());
  }

  FakeClock clock_{TimePoint{}};
  sim::ObjectStore store_{clock_};
  sim::StoreClient client_{store_};
  Informer informer_{client_, res::Pods(), "", {}, [](const std::string&, const Json&) {}};
};

TEST_F(InformerIndexTest, FollowsAddsMovesAndDeletions) {
  ASSERT_TRUE(store_.Create(res::Pods(), "default", Pod("a", "n1")).ok());
  ASSERT_TRUE(store_.Create(res::Pods(), "default", Pod("b", "n2")).ok());
  ASSERT_TRUE(store_.Create(res::Pods(), "default", Pod("pending", "")).ok());
  informer_.SetIndex(NodeOf);
  ASSERT_TRUE(informer_.Indexed());
  informer_.Start();
  WaitFor([&] { return informer_.HasSynced() && informer_.Size() == 3; });
  EXPECT_EQ(On("n1"), (std::set<std::string>{"a"}));
  EXPECT_EQ(On("n2"), (std::set<std::string>{"b"}));
  EXPECT_EQ(On(""), std::set<std::string>{});  // an empty value is never indexed

  // Watch events: a new pod, one whose indexed value changes, one deleted.
  ASSERT_TRUE(store_.Create(res::Pods(), "default", Pod("c", "n1")).ok());
  Json moved = store_.Get(res::Pods(), {"default", "pending"}).value();
  moved["spec"]["nodeName"] = Json::string("n2");
  ASSERT_TRUE(store_.Update(res::Pods(), {"default", "pending"}, moved, false).ok());
  ASSERT_TRUE(store_.Delete(res::Pods(), {"default", "a"}).ok());
  WaitFor([&] { return On("n1") == std::set<std::string>{"c"}; });
  EXPECT_EQ(On("n2"), (std::set<std::string>{"b", "pending"}));
  informer_.Stop();
}

// Counts the pages an informer's list asks for and the largest one it was handed.
class PageCountingClient : public sim::StoreClient {
 public:
  using sim::StoreClient::StoreClient;
  StatusOr<ObjectList> List(const Resource& r, const std::string& ns,
                            const ListOptions& options) override {
    auto list = sim::StoreClient::List(r, ns, options);
    if (list.ok()) {
      ++pages;
      largest_page = std::max(largest_page.load(), list->items.size());
    }
    return list;
  }
  std::atomic<int> pages{0};
  std::atomic<size_t> largest_page{0};
};

TEST(InformerPagingTest, ListsAPageAtATime) {
  FakeClock clock{TimePoint{}};
  sim::ObjectStore store{clock};
  PageCountingClient client{store};
  for (int i = 0; i < 1201; ++i) {
    ASSERT_TRUE(store.Create(res::Pods(), "default", Pod("p" + std::to_string(i), "n1")).ok());
  }
  ListOptions options;
  options.limit = 500;
  Informer informer{client, res::Pods(), "", options, [](const std::string&, const Json&) {}};
  informer.Start();
  for (int i = 0; i < 5000 && !informer.HasSynced(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(informer.HasSynced());
  EXPECT_EQ(informer.Size(), 1201u);
  EXPECT_EQ(client.pages, 3) << "1,201 objects at 500 a page, each page its own request";
  EXPECT_EQ(client.largest_page, 500u) << "no request returned more than a page";
  // The watch starts from the list's version: a pod created after the list arrives.
  ASSERT_TRUE(store.Create(res::Pods(), "default", Pod("late", "n1")).ok());
  for (int i = 0; i < 5000 && informer.Size() != 1202u; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(informer.Size(), 1202u);
  informer.Stop();
}

TEST(InformerWithoutIndexTest, SaysSo) {
  FakeClock clock{TimePoint{}};
  sim::ObjectStore store{clock};
  sim::StoreClient client{store};
  Informer informer{client, res::Pods(), "", {}, [](const std::string&, const Json&) {}};
  EXPECT_FALSE(informer.Indexed());
}

}  // namespace
}  // namespace kcau::kube
