// Thousands of malformed requests against kcau-sim's HTTP server: every one must get an
// HTTP answer (a Status error, never a dropped connection or a crash), and the server must
// serve correctly afterwards.
#include <cpprest/http_client.h>
#include <gtest/gtest.h>

#include <random>

#include "sim/api_server.h"
#include "sim/crd_validation.h"

namespace kcau::sim {
namespace {

namespace http = web::http;

std::string RandomBody(std::mt19937& rng) {
  static const std::vector<std::string> fragments = {
      "{",
      "}",
      "[",
      "]",
      "\"",
      ":",
      ",",
      "null",
      "true",
      "-1",
      "1e309",
      "\"metadata\"",
      "{\"metadata\":{\"name\":\"x\"}}",
      "{\"op\":\"remove\",\"path\":\"/a\"}",
      "\\u0000",
      "{\"spec\":{\"plugins\":[{\"name\":7}]}}",
      "\xff\xfe",
      "{\"metadata\":{\"name\":\"\"}}",
      "[{\"op\":\"move\",\"from\":\"/x\",\"path\":\"/y\"}]",
      "{\"status\":{\"phase\":9}}"};
  std::string body;
  const int n = static_cast<int>(rng() % 8);
  for (int i = 0; i < n; ++i) body += fragments[rng() % fragments.size()];
  return body;
}

TEST(ApiFuzzTest, RandomBodiesGetStatusAnswersAndTheServerStaysUp) {
  RealClock clock;
  ObjectStore store(clock);
  ASSERT_TRUE(InstallCrdValidation(store, BuiltinUpdateRunCrdYaml()).ok());
  ASSERT_TRUE(store
                  .Create(kube::resources::Nodes(), "",
                          web::json::value::parse(R"({"metadata":{"name":"n1"}})"))
                  .ok());
  ApiServer server(store, clock, {"127.0.0.1", FindFreePort(), "", 5, std::nullopt});
  ASSERT_TRUE(server.Start().ok());
  http::client::http_client client(server.Url());

  const std::vector<std::string> paths = {"/api/v1/nodes",
                                          "/api/v1/nodes/n1",
                                          "/api/v1/nodes/n1/status",
                                          "/apis/kcau.io/v1alpha1/updateruns",
                                          "/apis/kcau.io/v1alpha1/updateruns/r",
                                          "/api/v1/namespaces/web/pods/p/eviction",
                                          "/apis/nope/v1/things",
                                          "/api/v1/nodes/n1/x/y",
                                          "/openapi/v3/apis/kcau.io/v1alpha1",
                                          "/api/v1/nodes?labelSelector=a%20in%20(",
                                          "/"};
  const std::vector<http::method> methods = {http::methods::POST, http::methods::PUT,
                                             http::methods::PATCH, http::methods::DEL,
                                             http::methods::GET};
  const std::vector<std::string> types = {"application/json",
                                          "application/merge-patch+json",
                                          "application/json-patch+json",
                                          "application/strategic-merge-patch+json",
                                          "application/apply-patch+yaml",
                                          "text/plain"};
  std::mt19937 rng(42);
  int answered = 0;
  constexpr int kRequests = 2000;
  for (int i = 0; i < kRequests; ++i) {
    http::http_request req(methods[rng() % methods.size()]);
    req.set_request_uri(paths[rng() % paths.size()]);
    req.set_body(RandomBody(rng), types[rng() % types.size()]);
    try {
      http::http_response resp = client.request(req).get();
      const int code = resp.status_code();
      EXPECT_TRUE(code >= 200 && code < 600) << code;
      ++answered;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "request " << i << " got no answer: " << e.what();
    }
  }
  EXPECT_EQ(answered, kRequests);
  // Still serving correctly: a well-formed create and read go through. (n1 itself may have
  // been deleted by a random DELETE, which is a legitimate request.)
  http::http_request create(http::methods::POST);
  create.set_request_uri("/api/v1/nodes");
  create.set_body(web::json::value::parse(R"({"metadata":{"name":"after-fuzz"}})"));
  EXPECT_EQ(client.request(create).get().status_code(), 201);
  auto node = client.request(http::methods::GET, "/api/v1/nodes/after-fuzz").get();
  EXPECT_EQ(node.status_code(), 200);
  EXPECT_EQ(node.extract_json().get().at("metadata").at("name").as_string(), "after-fuzz");
  server.Stop();
}

}  // namespace
}  // namespace kcau::sim
