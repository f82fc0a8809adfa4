// The informer's index (SetIndex/VisitIndexed) through the sim's store: it follows adds,
// changes of the indexed value and deletions, so a reader of one node's pods never scans
// the whole cache and never sees a pod elsewhere.
#include <gtest/gtest.h>

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

TEST(InformerWithoutIndexTest, SaysSo) {
  FakeClock clock{TimePoint{}};
  sim::ObjectStore store{clock};
  sim::StoreClient client{store};
  Informer informer{client, res::Pods(), "", {}, [](const std::string&, const Json&) {}};
  EXPECT_FALSE(informer.Indexed());
}

}  // namespace
}  // namespace kcau::kube
