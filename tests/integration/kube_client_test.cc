// kcau's real HTTP client (RestClient, Informer) against kcau-sim's real HTTP API server on
// loopback: the protocol, not a fake of it.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include <cpprest/http_client.h>

#include "kube/disruption_budget.h"
#include "kube/informer.h"
#include "kube/rest_client.h"
#include "sim/api_server.h"
#include "sim/object_store.h"

namespace kcau {
namespace {

using kube::Json;
namespace res = kube::resources;

Json Parse(const std::string& s) { return Json::parse(s); }

class KubeClientTest : public ::testing::Test {
 protected:
  void StartServer(int max_watch_seconds = 1800, size_t history = 100000,
                   const std::string& token = "",
                   Duration bookmark_interval = std::chrono::seconds(60)) {
    store_ = std::make_unique<sim::ObjectStore>(clock_, history);
    const int port = sim::FindFreePort();
    sim::ApiServerOptions options{"127.0.0.1", port, token, max_watch_seconds, std::nullopt};
    options.bookmark_interval = bookmark_interval;
    server_ = std::make_unique<sim::ApiServer>(*store_, clock_, options);
    ASSERT_TRUE(server_->Start().ok());
    kube::ClientConfig config;
    config.server = server_->Url();
    config.token = token;
    auto c = kube::RestClient::Create(config);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    client_ = std::move(*c);
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  void AddNode(const std::string& name, const std::string& zone = "a") {
    ASSERT_TRUE(store_
                    ->Create(res::Nodes(), "",
                             Parse(R"({"metadata":{"name":")" + name + R"(","labels":{"zone":")" +
                                   zone + R"("}},"spec":{}})"))
                    .ok());
  }

  RealClock clock_;
  std::unique_ptr<sim::ObjectStore> store_;
  std::unique_ptr<sim::ApiServer> server_;
  std::unique_ptr<kube::RestClient> client_;
};

TEST_F(KubeClientTest, GetListCreateUpdatePatchDelete) {
  StartServer();
  AddNode("n1", "a");
  AddNode("n2", "b");
  auto n1 = client_->Get(res::Nodes(), {"", "n1"});
  ASSERT_TRUE(n1.ok()) << n1.status().ToString();
  EXPECT_EQ(n1->at("kind").as_string(), "Node");
  EXPECT_EQ(client_->Get(res::Nodes(), {"", "ghost"}).status().code(), StatusCode::kNotFound);

  auto zone_b = client_->List(res::Nodes(), "", {"zone=b", ""});
  ASSERT_TRUE(zone_b.ok());
  ASSERT_EQ(zone_b->items.size(), 1u);
  EXPECT_FALSE(zone_b->resource_version.empty());

  auto run = client_->Create(
      res::UpdateRuns(),
      Parse(R"({"apiVersion":"kcau.io/v1alpha1","kind":"UpdateRun",)"
            R"("metadata":{"name":"r"},"spec":{"plugins":[{"name":"packages"}]}})"));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(client_->Create(res::UpdateRuns(), *run).status().code(), StatusCode::kAlreadyExists);

  Json with_status = *run;
  with_status["status"]["phase"] = Json::string("Running");
  auto written = client_->UpdateStatus(res::UpdateRuns(), with_status);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(written->at("status").at("phase").as_string(), "Running");
  // The first object's resourceVersion is stale now.
  Json stale = *run;
  stale["spec"]["maxFailedNodes"] = Json::number(1);
  EXPECT_EQ(client_->Update(res::UpdateRuns(), stale).status().code(), StatusCode::kConflict);

  auto cordoned = client_->Patch(res::Nodes(), {"", "n1"}, kube::PatchType::kStrategicMerge,
                                 Parse(R"({"spec":{"unschedulable":true}})"), false);
  ASSERT_TRUE(cordoned.ok()) << cordoned.status().ToString();
  EXPECT_TRUE(cordoned->at("spec").at("unschedulable").as_bool());
  EXPECT_EQ(client_
                ->Patch(res::Nodes(), {"", "n1"}, kube::PatchType::kJson,
                        Parse(R"([{"op":"remove","path":"/nope"}])"), false)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(client_->Delete(res::Nodes(), {"", "n2"}).ok());
  EXPECT_EQ(client_->Delete(res::Nodes(), {"", "n2"}).code(), StatusCode::kNotFound);
}

// Names are path segments: one with non-ASCII letters, '/', '%', '?', '#' or a space must
// reach the server as that one name, not as an invalid URI or as more path.
TEST_F(KubeClientTest, NamesWithReservedAndNonAsciiCharactersRoundTrip) {
  StartServer();
  // Names the API server refuses must still make valid request paths: the server answers
  // (404 on a read, 422 naming metadata.name on a create) instead of the client failing with
  // "provided uri is invalid" for ever.
  for (const std::string name : {"päch-dienstag", "hooks/pre", "100%", "a?b#c d"}) {
    SCOPED_TRACE(name);
    auto got = client_->Get(res::Nodes(), {"", name});
    EXPECT_EQ(got.status().code(), StatusCode::kNotFound) << got.status().ToString();
    auto created = client_->Create(res::Nodes(),
                                   Parse(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":)" +
                                         Json::string(name).serialize() + "}}"));
    EXPECT_EQ(created.status().code(), StatusCode::kInvalidArgument) << created.status().ToString();
    EXPECT_NE(created.status().message().find("metadata.name"), std::string::npos)
        << created.status().ToString();
  }
  // Valid names with the characters a name may have round-trip.
  for (const std::string name : {"node-1.example.com", "n0"}) {
    SCOPED_TRACE(name);
    AddNode(name);
    auto got = client_->Get(res::Nodes(), {"", name});
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->at("metadata").at("name").as_string(), name);
    auto patched = client_->Patch(res::Nodes(), {"", name}, kube::PatchType::kMerge,
                                  Parse(R"({"spec":{"unschedulable":true}})"), false);
    ASSERT_TRUE(patched.ok()) << patched.status().ToString();
    EXPECT_TRUE(client_->Delete(res::Nodes(), {"", name}).ok());
  }
  // A name with '/' is not a path into another object.
  AddNode("hooks");
  EXPECT_EQ(client_->Get(res::Nodes(), {"", "hooks/pre"}).status().code(), StatusCode::kNotFound);
}

TEST_F(KubeClientTest, EvictionRefusedByABudgetIsTooManyRequests) {
  StartServer();
  for (const char* name : {"p1", "p2"}) {
    ASSERT_TRUE(
        store_
            ->Create(
                res::Pods(), "web",
                Parse(
                    std::string(R"({"metadata":{"name":")") + name +
                    R"(","labels":{"app":"web"}},"spec":{"nodeName":"n1"},)"
                    R"("status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}})"))
            .ok());
  }
  ASSERT_TRUE(store_
                  ->Create(res::PodDisruptionBudgets(), "web",
                           Parse(R"({"metadata":{"name":"web"},"spec":{"minAvailable":1,)"
                                 R"("selector":{"matchLabels":{"app":"web"}}}})"))
                  .ok());
  EXPECT_TRUE(client_->Evict({"web", "p1"}).ok());
  Status refused = client_->Evict({"web", "p2"});
  EXPECT_EQ(refused.code(), StatusCode::kTooManyRequests) << refused.ToString();
  EXPECT_NE(refused.message().find("disruption budget"), std::string::npos);
  // The budget travels as the API server sends it, in a DisruptionBudget cause.
  EXPECT_EQ(kube::DisruptionBudgetOf(refused), "web");
}

TEST_F(KubeClientTest, WatchDeliversEventsInOrderAndResumes) {
  StartServer();
  AddNode("n1");
  auto list = client_->List(res::Nodes(), "", {});
  ASSERT_TRUE(list.ok());
  auto stream = client_->Watch(res::Nodes(), "", {}, list->resource_version);
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  AddNode("n2");
  ASSERT_TRUE(client_
                  ->Patch(res::Nodes(), {"", "n1"}, kube::PatchType::kMerge,
                          Parse(R"({"spec":{"unschedulable":true}})"), false)
                  .ok());
  auto first = (*stream)->Next();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->type, "ADDED");
  EXPECT_EQ((*first)->object.at("metadata").at("name").as_string(), "n2");
  auto second = (*stream)->Next();
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->type, "MODIFIED");
  const std::string rv = (*second)->object.at("metadata").at("resourceVersion").as_string();
  (*stream)->Stop();

  // Resume from the last version seen: only what came after.
  ASSERT_TRUE(client_->Delete(res::Nodes(), {"", "n2"}).ok());
  auto resumed = client_->Watch(res::Nodes(), "", {}, rv);
  ASSERT_TRUE(resumed.ok());
  auto third = (*resumed)->Next();
  ASSERT_TRUE(third.ok() && third->has_value());
  EXPECT_EQ((*third)->type, "DELETED");
  (*resumed)->Stop();
}

TEST_F(KubeClientTest, WatchSendsBookmarksAtTheLastDeliveredVersion) {
  StartServer(1800, 100000, "", std::chrono::milliseconds(50));
  AddNode("n1");
  auto list = client_->List(res::Nodes(), "", {});
  ASSERT_TRUE(list.ok());
  auto stream = client_->Watch(res::Nodes(), "", {}, list->resource_version);  // asks for them
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  AddNode("n2");
  std::string added_rv;
  for (int i = 0; i < 100; ++i) {
    auto event = (*stream)->Next();
    ASSERT_TRUE(event.ok() && event->has_value());
    const kube::WatchEvent& e = **event;
    const std::string rv = e.object.at("metadata").at("resourceVersion").as_string();
    if (e.type == "ADDED") {
      added_rv = rv;
      continue;
    }
    ASSERT_EQ(e.type, "BOOKMARK");
    EXPECT_EQ(e.object.at("kind").as_string(), "Node");
    if (added_rv.empty()) {
      EXPECT_EQ(rv, list->resource_version);  // nothing delivered yet: where the watch began
      continue;
    }
    EXPECT_EQ(rv, added_rv);
    break;
  }
  EXPECT_FALSE(added_rv.empty());
  (*stream)->Stop();
}

TEST_F(KubeClientTest, ListFollowsContinueTokensPageByPage) {
  StartServer();
  for (int i = 0; i < 7; ++i) AddNode("n" + std::to_string(i), i % 2 ? "b" : "a");
  kube::ListOptions paged;
  paged.limit = 2;
  auto all = client_->List(res::Nodes(), "", paged);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->items.size(), 7u);
  EXPECT_EQ(all->resource_version, std::to_string(store_->CurrentResourceVersion()));
  kube::ListOptions zone_a{"zone=a", ""};
  zone_a.limit = 3;
  auto a = client_->List(res::Nodes(), "", zone_a);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->items.size(), 4u);
  // One page on the wire carries the token and the count that remains.
  web::http::client::http_client raw(server_->Url());
  const Json page =
      raw.request(web::http::methods::GET, "/api/v1/nodes?limit=3").get().extract_json().get();
  EXPECT_EQ(page.at("items").size(), 3u);
  EXPECT_EQ(page.at("metadata").at("remainingItemCount").as_integer(), 4);
  EXPECT_FALSE(page.at("metadata").at("continue").as_string().empty());
  auto bad = raw.request(web::http::methods::GET, "/api/v1/nodes?limit=3&continue=zzz").get();
  EXPECT_EQ(bad.status_code(), 400);
}

TEST_F(KubeClientTest, StopUnblocksAWatchPromptly) {
  StartServer();
  auto stream = client_->Watch(res::Nodes(), "", {}, "");
  ASSERT_TRUE(stream.ok());
  std::atomic<bool> returned{false};
  std::thread reader([&] {
    auto e = (*stream)->Next();
    EXPECT_TRUE(e.ok());
    EXPECT_FALSE(e->has_value());
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  (*stream)->Stop();
  reader.join();
  EXPECT_TRUE(returned);
}

TEST_F(KubeClientTest, WrongTokenIsUnauthorized) {
  StartServer(1800, 100000, "right-token");
  kube::ClientConfig config;
  config.server = server_->Url();
  config.token = "wrong-token";
  auto wrong = kube::RestClient::Create(config);
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ((*wrong)->List(res::Nodes(), "", {}).status().code(), StatusCode::kUnauthorized);
  EXPECT_TRUE(client_->List(res::Nodes(), "", {}).ok());
}

TEST_F(KubeClientTest, HttpsVerifiesTheServerAgainstTheConfiguredCa) {
  auto tls = sim::GenerateServingCertificates({"localhost"}, {"127.0.0.1"});
  ASSERT_TRUE(tls.ok()) << tls.status().ToString();
  auto other = sim::GenerateServingCertificates({"localhost"}, {"127.0.0.1"});
  ASSERT_TRUE(other.ok());
  store_ = std::make_unique<sim::ObjectStore>(clock_);
  AddNode("n1");
  server_ = std::make_unique<sim::ApiServer>(
      *store_, clock_, sim::ApiServerOptions{"127.0.0.1", sim::FindFreePort(), "tok", 1800, *tls});
  ASSERT_TRUE(server_->Start().ok());
  ASSERT_EQ(server_->Url().rfind("https://", 0), 0u);

  auto connect = [&](const std::string& ca, bool insecure) -> std::unique_ptr<kube::RestClient> {
    kube::ClientConfig config;
    config.server = server_->Url();
    config.token = "tok";
    config.ca_data = ca;
    config.insecure_skip_tls_verify = insecure;
    auto c = kube::RestClient::Create(config);
    return c.ok() ? std::move(c).value() : nullptr;
  };
  auto trusted = connect(tls->ca_cert_pem, false)->List(res::Nodes(), "", {});
  ASSERT_TRUE(trusted.ok()) << trusted.status().ToString();
  EXPECT_EQ(trusted->items.size(), 1u);

  // A certificate from another CA is refused, with an error that says so.
  auto wrong_ca = connect(other->ca_cert_pem, false)->List(res::Nodes(), "", {});
  ASSERT_FALSE(wrong_ca.ok());
  EXPECT_EQ(wrong_ca.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(wrong_ca.status().message().find("signed by the CA in the kubeconfig"),
            std::string::npos)
      << wrong_ca.status().message();
  EXPECT_FALSE(connect("", false)->List(res::Nodes(), "", {}).ok())
      << "system CAs must not trust it";
  // Only an explicit insecure-skip-tls-verify turns verification off.
  EXPECT_TRUE(connect("", true)->List(res::Nodes(), "", {}).ok());

  // The system's CAs (OpenSSL's default file, SSL_CERT_FILE) are trusted only when the
  // kubeconfig names no CA, as client-go does: with one, it is the only one.
  const std::string system_cas = ::testing::TempDir() + "/system-cas.pem";
  std::ofstream(system_cas) << tls->ca_cert_pem;
  const char* saved = std::getenv("SSL_CERT_FILE");
  const std::string saved_value = saved ? saved : "";
  setenv("SSL_CERT_FILE", system_cas.c_str(), 1);
  auto by_system = connect("", false)->List(res::Nodes(), "", {});
  auto beside_kubeconfig_ca = connect(other->ca_cert_pem, false)->List(res::Nodes(), "", {});
  if (saved) {
    setenv("SSL_CERT_FILE", saved_value.c_str(), 1);
  } else {
    unsetenv("SSL_CERT_FILE");
  }
  EXPECT_TRUE(by_system.ok()) << by_system.status().ToString();
  EXPECT_FALSE(beside_kubeconfig_ca.ok())
      << "a system CA was trusted although the kubeconfig names the cluster's";
}

// Waits (bounded) for a condition the informer's thread makes true.
bool Eventually(const std::function<bool()>& cond) {
  for (int i = 0; i < 200; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

TEST_F(KubeClientTest, InformerResumesEndedWatchesWithoutRelisting) {
  StartServer(/*max_watch_seconds=*/1);  // the server ends every watch after a second
  AddNode("n1");
  std::atomic<int> events{0};
  kube::Informer informer(*client_, res::Nodes(), "", {},
                          [&](const std::string&, const Json&) { ++events; });
  informer.Start();
  ASSERT_TRUE(Eventually([&] { return informer.HasSynced(); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // let a stream end
  AddNode("n2");
  ASSERT_TRUE(Eventually([&] { return informer.Get("", "n2").has_value(); }));
  EXPECT_EQ(informer.Lists(), 1) << "an ended stream must resume, not relist";
  EXPECT_EQ(events, 2);
  informer.Stop();
}

TEST_F(KubeClientTest, InformerRelistsAfterGoneAndDeliversTheDifference) {
  StartServer(/*max_watch_seconds=*/1800, /*history=*/5);
  AddNode("n1");
  AddNode("n2");
  std::vector<std::string> seen;
  std::mutex mu;
  kube::Informer informer(*client_, res::Nodes(), "", {},
                          [&](const std::string& type, const Json& o) {
                            std::lock_guard<std::mutex> lock(mu);
                            seen.push_back(type + " " + o.at("metadata").at("name").as_string());
                          });
  informer.Start();
  ASSERT_TRUE(Eventually([&] { return informer.HasSynced(); }));
  // The API server goes away; meanwhile the store moves on further than its 5-event
  // history. When the server is back, resuming from the old version is 410 Gone and the
  // informer must relist and deliver what it missed — the deletion included.
  const std::string url = server_->Url();
  server_->Stop();
  ASSERT_TRUE(store_->Delete(res::Nodes(), {"", "n1"}).ok());
  for (int i = 0; i < 10; ++i) AddNode("x" + std::to_string(i));
  const int port = std::stoi(url.substr(url.rfind(':') + 1));
  server_ = std::make_unique<sim::ApiServer>(
      *store_, clock_, sim::ApiServerOptions{"127.0.0.1", port, "", 1800, std::nullopt});
  ASSERT_TRUE(server_->Start().ok());
  ASSERT_TRUE(Eventually([&] { return informer.Snapshot().size() == 11u; }));
  EXPECT_FALSE(informer.Get("", "n1").has_value());
  EXPECT_EQ(informer.Lists(), 2);
  informer.Stop();
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_NE(std::find(seen.begin(), seen.end(), "DELETED n1"), seen.end());
}

}  // namespace
}  // namespace kcau
