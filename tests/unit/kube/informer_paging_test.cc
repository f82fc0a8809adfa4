// The informer's list through the sim's store: a page at a time, each page its own request,
// then a watch from the list's resourceVersion.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
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

}  // namespace
}  // namespace kcau::kube
