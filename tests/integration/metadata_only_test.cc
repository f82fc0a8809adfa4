// Asking for objects' metadata only (PartialObjectMetadata, as client-go's metadata client
// does): kcau's real HTTP client against kcau-sim's real HTTP API server on loopback, for a
// list, a watch and a write's answer, and the server's refusal of a form it cannot serve.
#include <gtest/gtest.h>

#include <cpprest/http_client.h>

#include "kube/partial_object_metadata.h"
#include "kube/rest_client.h"
#include "sim/api_server.h"
#include "sim/object_store.h"

namespace kcau {
namespace {

using kube::Json;
namespace res = kube::resources;

class MetadataOnlyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<sim::ApiServer>(
        store_, clock_, sim::ApiServerOptions{"127.0.0.1", sim::FindFreePort(), "", 1800, {}});
    ASSERT_TRUE(server_->Start().ok());
    kube::ClientConfig config;
    config.server = server_->Url();
    auto c = kube::RestClient::Create(config);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    client_ = std::move(*c);
    for (const char* name : {"a", "b", "c"}) {
      ASSERT_TRUE(store_
                      .Create(res::UpdateRuns(), "",
                              Json::parse(std::string(R"({"apiVersion":"kcau.io/v1alpha1",)") +
                                          R"("kind":"UpdateRun","metadata":{"name":")" + name +
                                          R"(","finalizers":["kcau.io/run-cleanup"]},)" +
                                          R"("spec":{"plugins":[{"name":"packages"}]}})"))
                      .ok());
    }
  }
  void TearDown() override { server_->Stop(); }

  // Whether `object` is one run's metadata and nothing else.
  static void ExpectMetadataOf(const Json& object, const std::string& name) {
    EXPECT_TRUE(kube::IsPartialObjectMetadata(object)) << object.serialize();
    EXPECT_EQ(object.at("apiVersion").as_string(), "meta.k8s.io/v1");
    EXPECT_EQ(object.at("metadata").at("name").as_string(), name);
    EXPECT_FALSE(object.at("metadata").at("resourceVersion").as_string().empty());
    EXPECT_EQ(object.at("metadata").at("finalizers").at(0).as_string(), "kcau.io/run-cleanup");
    EXPECT_FALSE(object.has_field("spec"));
    EXPECT_FALSE(object.has_field("status"));
  }

  RealClock clock_;
  sim::ObjectStore store_{clock_};
  std::unique_ptr<sim::ApiServer> server_;
  std::unique_ptr<kube::RestClient> client_;
};

TEST_F(MetadataOnlyTest, ListPagesCarryEachObjectsMetadataOnly) {
  kube::ListOptions options;
  options.limit = 2;  // two pages: the continue token works in this form too
  options.metadata_only = true;
  auto list = client_->List(res::UpdateRuns(), "", options);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->items.size(), 3u);
  ExpectMetadataOf(list->items[0], "a");
  ExpectMetadataOf(list->items[2], "c");
  EXPECT_EQ(list->resource_version, std::to_string(store_.CurrentResourceVersion()));
  // The list itself is a PartialObjectMetadataList on the wire.
  web::http::client::http_client raw(server_->Url());
  web::http::http_request req(web::http::methods::GET);
  req.set_request_uri("/apis/kcau.io/v1alpha1/updateruns");
  req.headers().add("Accept", kube::kAcceptPartialObjectMetadataList);
  const Json body = raw.request(req).get().extract_json().get();
  EXPECT_EQ(body.at("kind").as_string(), "PartialObjectMetadataList");
  EXPECT_EQ(body.at("apiVersion").as_string(), "meta.k8s.io/v1");
}

TEST_F(MetadataOnlyTest, WatchEventsCarryMetadataOnly) {
  kube::ListOptions options;
  options.metadata_only = true;
  auto stream = client_->Watch(res::UpdateRuns(), "", options,
                               std::to_string(store_.CurrentResourceVersion()));
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  // A status write is an event like any other, without the status.
  ASSERT_TRUE(client_
                  ->Patch(res::UpdateRuns(), {"", "b"}, kube::PatchType::kMerge,
                          Json::parse(R"({"status":{"phase":"Running"}})"), true)
                  .ok());
  auto event = (*stream)->Next();
  ASSERT_TRUE(event.ok() && event->has_value()) << event.status().ToString();
  EXPECT_EQ((*event)->type, "MODIFIED");
  ExpectMetadataOf((*event)->object, "b");
  (*stream)->Stop();
}

TEST_F(MetadataOnlyTest, AWritesAnswerCanBeItsMetadataOnly) {
  auto whole = client_->Patch(res::UpdateRuns(), {"", "a"}, kube::PatchType::kMerge,
                              Json::parse(R"({"status":{"phase":"Running"}})"), true);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_EQ(whole->at("status").at("phase").as_string(), "Running");
  auto slim = client_->Patch(res::UpdateRuns(), {"", "a"}, kube::PatchType::kMerge,
                             Json::parse(R"({"status":{"phase":"Succeeded"}})"), true,
                             kube::Answer::kMetadata);
  ASSERT_TRUE(slim.ok()) << slim.status().ToString();
  ExpectMetadataOf(*slim, "a");
  // The write happened all the same, and the answer names its version.
  auto stored = store_.Get(res::UpdateRuns(), {"", "a"});
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->at("status").at("phase").as_string(), "Succeeded");
  EXPECT_EQ(slim->at("metadata").at("resourceVersion"),
            stored->at("metadata").at("resourceVersion"));
}

// As the API server: a form the request cannot have (one object's metadata for a list) is
// 406, even with plain JSON after it; one the server does not know is passed over.
TEST_F(MetadataOnlyTest, AFormTheRequestCannotHaveIsNotAcceptable) {
  web::http::client::http_client raw(server_->Url());
  auto ask = [&](const std::string& path, const std::string& accept) {
    web::http::http_request req(web::http::methods::GET);
    req.set_request_uri(path);
    req.headers().add("Accept", accept);
    return raw.request(req).get();
  };
  const std::string one = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
  auto refused = ask("/apis/kcau.io/v1alpha1/updateruns", one);
  EXPECT_EQ(refused.status_code(), 406);
  EXPECT_EQ(refused.extract_json().get().at("reason").as_string(), "NotAcceptable");
  EXPECT_EQ(ask("/apis/kcau.io/v1alpha1/updateruns", one + ",application/json").status_code(), 406);
  auto fallback = ask("/apis/kcau.io/v1alpha1/updateruns",
                      "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v9,"
                      "application/json");
  ASSERT_EQ(fallback.status_code(), 200);
  EXPECT_EQ(fallback.extract_json().get().at("kind").as_string(), "UpdateRunList");
  auto single = ask("/apis/kcau.io/v1alpha1/updateruns/c", one);
  ASSERT_EQ(single.status_code(), 200);
  ExpectMetadataOf(single.extract_json().get(), "c");
  auto beta = ask("/apis/kcau.io/v1alpha1/updateruns/c",
                  "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1");
  ASSERT_EQ(beta.status_code(), 200);
  EXPECT_EQ(beta.extract_json().get().at("apiVersion").as_string(), "meta.k8s.io/v1beta1");
}

}  // namespace
}  // namespace kcau
