// kcau-sim's HTTP front door answers as kube-apiserver does: integer query parameters parsed
// whole, invalid names as 422 Invalid in the API server's shape, percent-encoded names
// decoded, protobuf bodies from kubectl's typed clients, a mix of injected fault codes, and a
// stop that saves without closing the listener (Quiesce).
#include "sim/api_server.h"

#include <cpprest/http_client.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "sim/kube_protobuf.h"

namespace kcau::sim {
namespace {

namespace http = web::http;
using kube::Json;

struct Answer {
  int code;
  Json body;
  std::string retry_after;
};

class ApiServerTest : public ::testing::Test {
 protected:
  explicit ApiServerTest(ApiServerOptions options = {"127.0.0.1", FindFreePort(), "", 5,
                                                     std::nullopt})
      : store_(clock_), server_(store_, clock_, std::move(options)) {}

  void SetUp() override {
    for (const char* name : {"node-1", "node-2", "node-3"}) {
      ASSERT_TRUE(store_
                      .Create(kube::resources::Nodes(), "",
                              Json::parse(std::string(R"({"metadata":{"name":")") + name + "\"}}"))
                      .ok());
    }
    ASSERT_TRUE(server_.Start().ok());
    client_ = std::make_unique<http::client::http_client>(server_.Url());
  }

  Answer Send(const http::method& method, const std::string& path, const std::string& body = "",
              const std::string& type = "application/json") {
    http::http_request req(method);
    req.set_request_uri(path);
    if (!body.empty()) req.set_body(body, type);
    http::http_response resp = client_->request(req).get();
    const std::string text = resp.extract_string(true).get();
    const auto retry = resp.headers().find("Retry-After");
    return {resp.status_code(), text.empty() ? Json::null() : Json::parse(text),
            retry == resp.headers().end() ? "" : retry->second};
  }

  RealClock clock_;
  ObjectStore store_;
  ApiServer server_;
  std::unique_ptr<http::client::http_client> client_;
};

TEST_F(ApiServerTest, ListLimitIsParsedWhole) {
  const Answer page = Send(http::methods::GET, "/api/v1/nodes?limit=2");
  ASSERT_EQ(page.code, 200);
  EXPECT_EQ(page.body.at("items").size(), 2u);
  EXPECT_EQ(page.body.at("metadata").at("remainingItemCount").as_integer(), 1);
  EXPECT_EQ(Send(http::methods::GET, "/api/v1/nodes?limit=%2B1").body.at("items").size(), 1u);
  EXPECT_EQ(Send(http::methods::GET, "/api/v1/nodes?limit=-1").body.at("items").size(), 3u);
  // As Go's strconv.ParseInt in the API server's parameter decoding: 400, not ignored.
  for (const auto& [query, message] : std::vector<std::pair<std::string, std::string>>{
           {"limit=5x", "strconv.ParseInt: parsing \"5x\": invalid syntax"},
           {"limit=%201", "strconv.ParseInt: parsing \" 1\": invalid syntax"},
           {"limit=99999999999999999999",
            "strconv.ParseInt: parsing \"99999999999999999999\": value out of range"},
           {"watch=true&timeoutSeconds=1s", "strconv.ParseInt: parsing \"1s\": invalid syntax"}}) {
    const Answer bad = Send(http::methods::GET, "/api/v1/nodes?" + query);
    EXPECT_EQ(bad.code, 400) << query;
    EXPECT_EQ(bad.body.at("reason").as_string(), "BadRequest") << query;
    EXPECT_EQ(bad.body.at("message").as_string(), message) << query;
  }
}

TEST_F(ApiServerTest, InvalidNameIsA422InTheApiServersShape) {
  const Answer bad = Send(http::methods::POST, "/api/v1/namespaces/default/configmaps",
                          R"({"metadata":{"name":"Bad_Name"},"data":{"k":"v"}})");
  const std::string problem =
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
      "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
      "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-"
      "9])?)*')";
  EXPECT_EQ(bad.code, 422);
  Json cause = Json::object();
  cause["reason"] = Json::string("FieldValueInvalid");
  cause["message"] = Json::string("Invalid value: \"Bad_Name\": " + problem);
  cause["field"] = Json::string("metadata.name");
  Json expected = Json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},
      "status":"Failure","reason":"Invalid","code":422,
      "details":{"name":"Bad_Name","kind":"ConfigMap","causes":[]}})");
  expected["message"] = Json::string(
      "ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": " + problem);
  expected["details"]["causes"][0] = cause;
  EXPECT_EQ(bad.body, expected) << bad.body.serialize();

  // Two problems: two causes, and Go's aggregate "[a, b]" as the message.
  const std::string long_name(254, 'X');
  const Answer both = Send(http::methods::POST, "/api/v1/namespaces/default/configmaps",
                           R"({"metadata":{"name":")" + long_name + R"("}})");
  const std::string value = "metadata.name: Invalid value: \"" + long_name + "\": ";
  EXPECT_EQ(both.body.at("message").as_string(),
            "ConfigMap \"" + long_name + "\" is invalid: [" + value +
                "must be no more than 253 characters, " + value + problem + "]");
  ASSERT_EQ(both.body.at("details").at("causes").size(), 2u);

  // A name that is required: FieldValueRequired.
  const Answer none =
      Send(http::methods::POST, "/api/v1/namespaces/default/configmaps", R"({"metadata":{}})");
  EXPECT_EQ(none.body.at("details").at("causes").at(0).at("reason").as_string(),
            "FieldValueRequired");

  // A generated name is named in details, as the API server names the object it built.
  const Answer generated = Send(http::methods::POST, "/api/v1/namespaces/default/configmaps",
                                R"({"metadata":{"generateName":"Web-"}})");
  EXPECT_EQ(generated.code, 422);
  EXPECT_EQ(generated.body.at("details").at("name").as_string().substr(0, 4), "Web-");
  EXPECT_EQ(generated.body.at("details").at("causes").size(), 2u);
}

TEST_F(ApiServerTest, PercentEncodedNamesAreDecoded) {
  const Answer made = Send(http::methods::POST, "/apis/rbac.authorization.k8s.io/v1/clusterroles",
                           R"({"metadata":{"name":"päch dienstag"}})");
  ASSERT_EQ(made.code, 201) << made.body.serialize();
  const Answer got = Send(http::methods::GET,
                          "/apis/rbac.authorization.k8s.io/v1/clusterroles/p%C3%A4ch%20dienstag");
  EXPECT_EQ(got.code, 200);
  EXPECT_EQ(got.body.at("metadata").at("name").as_string(), "päch dienstag");
  EXPECT_EQ(Send(http::methods::GET, "/api/v1/nodes/node%2D1").code, 200);
}

// The body kubectl 1.32 sends for `kubectl create configmap cm1 --from-literal=k=v`.
const std::string kCreateConfigMap(
    "k8s\0\n\x0f\n\x02v1\x12\tConfigMap\x12\x1d\n\x13\n\x03"
    "cm1\x12\0\x1a\0\"\0*\0002\0008\0B\0\x12\x06\n\x01k\x12\x01v\x1a\0\"\0",
    56);

TEST_F(ApiServerTest, ProtobufBodiesOfBuiltInKindsAreDecoded) {
  const Answer created = Send(http::methods::POST, "/api/v1/namespaces/default/configmaps",
                              kCreateConfigMap, kKubernetesProtobuf);
  ASSERT_EQ(created.code, 201) << created.body.serialize();
  EXPECT_EQ(created.body.at("kind").as_string(), "ConfigMap");
  EXPECT_EQ(created.body.at("metadata").at("name").as_string(), "cm1");
  EXPECT_EQ(created.body.at("metadata").at("namespace").as_string(), "default");
  EXPECT_EQ(created.body.at("data"), Json::parse(R"({"k":"v"})"));

  // The same envelope naming a kind kcau-sim has no protobuf schema for.
  std::string other = kCreateConfigMap;
  const std::string type_meta = "\x02v1\x12\tConfigMap";
  other.replace(other.find(type_meta), type_meta.size(),
                "\x07"
                "apps/v1\x12\x04Node");
  const Answer unknown = Send(http::methods::POST, "/api/v1/nodes", other, kKubernetesProtobuf);
  EXPECT_EQ(unknown.code, 415) << unknown.body.serialize();
  EXPECT_EQ(unknown.body.at("reason").as_string(), "UnsupportedMediaType");

  const Answer garbled = Send(http::methods::POST, "/api/v1/namespaces/default/configmaps",
                              std::string("k8s\0\n\xff", 6), kKubernetesProtobuf);
  EXPECT_EQ(garbled.code, 400);
  EXPECT_EQ(garbled.body.at("reason").as_string(), "BadRequest");
}

// Watches that would run for an hour: only Quiesce can end them.
class QuiesceTest : public ApiServerTest {
 protected:
  QuiesceTest()
      : ApiServerTest(ApiServerOptions{"127.0.0.1", FindFreePort(), "", 3600, std::nullopt}) {}
};

// A stopping kcau-sim saves its store: after Quiesce the watch has ended, every request is
// answered 503 and none reaches the store, and the listener is still open.
TEST_F(QuiesceTest, EndsWatchesAndTurnsRequestsAwayWithoutClosing) {
  http::http_request watch(http::methods::GET);
  watch.set_request_uri("/api/v1/nodes?watch=true&timeoutSeconds=3600");
  http::http_response streaming = client_->request(watch).get();
  ASSERT_EQ(streaming.status_code(), 200);
  const uint64_t version = store_.CurrentResourceVersion();

  // True: every answer was sent, the watch's included, which ends only when its stream does
  // (else this would wait for the hour).
  ASSERT_TRUE(server_.Quiesce());
  // The stream ended whole: what it carried, if anything, is complete lines of events.
  const std::string events = streaming.extract_string(true).get();
  std::istringstream lines(events);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_EQ(Json::parse(line).at("type").as_string(), "ADDED") << line;
  }

  const Answer create =
      Send(http::methods::POST, "/api/v1/nodes", R"({"metadata":{"name":"node-4"}})");
  EXPECT_EQ(create.code, 503);
  EXPECT_EQ(create.body.at("reason").as_string(), "ServiceUnavailable");
  EXPECT_EQ(Send(http::methods::GET, "/healthz").code, 503);
  EXPECT_EQ(store_.CurrentResourceVersion(), version);
  EXPECT_TRUE(server_.Stop());
}

class MixedFaultsTest : public ApiServerTest {
 protected:
  static ApiServerOptions Options() {
    ApiServerOptions o{"127.0.0.1", FindFreePort(), "", 5, std::nullopt};
    o.fail_fraction = 1;
    o.fail_codes = {500, 429};
    o.fail_seed = 7;
    return o;
  }
  MixedFaultsTest() : ApiServerTest(Options()) {}
};

TEST_F(MixedFaultsTest, EachFailureDrawsOneOfTheCodesFromTheSeed) {
  std::vector<int> codes;
  for (int i = 0; i < 40; ++i) {
    const Answer a = Send(http::methods::GET, "/api/v1/nodes");
    codes.push_back(a.code);
    EXPECT_EQ(a.retry_after, a.code == 429 ? "1" : "") << i;
    EXPECT_EQ(a.body.at("reason").as_string(), a.code == 429 ? "TooManyRequests" : "InternalError");
  }
  EXPECT_EQ(std::set<int>(codes.begin(), codes.end()), (std::set<int>{429, 500}));
  // The same seed fails the same requests with the same codes.
  RealClock clock;
  ObjectStore store(clock);
  ApiServer again(store, clock, Options());
  ASSERT_TRUE(again.Start().ok());
  http::client::http_client client(again.Url());
  for (size_t i = 0; i < codes.size(); ++i) {
    EXPECT_EQ(client.request(http::methods::GET, "/api/v1/nodes").get().status_code(), codes[i])
        << i;
  }
}

// Besides its own token, kcau-sim accepts one token per client it issued (each real agent's),
// and its audit log says whose each request was: the user, and the node a token is bound to.
TEST(ClientTokensTest, EachTokenIsItsClientsAndTheAuditLogSaysWhose) {
  const std::string audit = ::testing::TempDir() + "client_tokens_audit.jsonl";
  std::remove(audit.c_str());
  ApiServerOptions options{"127.0.0.1", FindFreePort(), "admin-token", 5, std::nullopt};
  options.audit_log = audit;
  options.client_tokens["agent-2-token"] = {"system:serviceaccount:kcau-system:kcau-agent",
                                            "node-2"};
  RealClock clock;
  ObjectStore store(clock);
  ASSERT_TRUE(
      store.Create(kube::resources::Nodes(), "", Json::parse(R"({"metadata":{"name":"node-2"}})"))
          .ok());
  ApiServer server(store, clock, options);
  ASSERT_TRUE(server.Start().ok());
  http::client::http_client client(server.Url());
  auto get = [&](const std::string& token, const std::string& user_agent) {
    http::http_request req(http::methods::GET);
    req.set_request_uri("/api/v1/nodes/node-2");
    if (!token.empty()) req.headers().add("Authorization", "Bearer " + token);
    req.headers().add("User-Agent", user_agent);
    return client.request(req).get().status_code();
  };
  EXPECT_EQ(get("agent-2-token", "kcau-agent/0.1.0"), 200);
  EXPECT_EQ(get("admin-token", "kcau-controller/0.1.0"), 200);
  EXPECT_EQ(get("", "curl"), 401);
  EXPECT_EQ(get("agent-3-token", "curl"), 401);
  server.Stop();

  std::ifstream in(audit);
  std::vector<Json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(Json::parse(line));
  ASSERT_EQ(lines.size(), 2u) << "refused requests never reach a resource";
  EXPECT_EQ(lines[0].at("user").as_string(), "system:serviceaccount:kcau-system:kcau-agent");
  EXPECT_EQ(lines[0].at("userNode").as_string(), "node-2");
  EXPECT_EQ(lines[0].at("userAgent").as_string(), "kcau-agent/0.1.0");
  EXPECT_EQ(lines[1].at("user").as_string(), kAdminUser);
  EXPECT_EQ(lines[1].at("userNode").as_string(), "");
  std::remove(audit.c_str());
}

}  // namespace
}  // namespace kcau::sim
