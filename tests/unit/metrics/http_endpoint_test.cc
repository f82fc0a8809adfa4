#include "metrics/http_endpoint.h"

#include <cpprest/http_client.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include "metrics/exposition.h"

namespace kcau::metrics {
namespace {

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST(MetricsServerTest, ServesMetricsHealthAndReadiness) {
  Registry registry;
  registry.Gauge("up_gauge", "Up.").Set({}, 1);
  std::atomic<bool> ready{false};
  std::atomic<bool> leading{false};
  const int port = FreePort();
  MetricsServer server(
      "127.0.0.1:" + std::to_string(port), registry,
      {{"informers-synced", [&] { return ready ? std::string() : "nodes cache not synced"; }},
       {"leader-election", [&] { return std::string(leading ? "leading" : "standby"); }, true}});
  ASSERT_TRUE(server.Start().ok());
  web::http::client::http_client client("http://127.0.0.1:" + std::to_string(port));

  auto metrics = client.request(web::http::methods::GET, "/metrics").get();
  EXPECT_EQ(metrics.status_code(), 200);
  EXPECT_EQ(metrics.headers().content_type(), kTextContentType);
  EXPECT_NE(metrics.extract_string().get().find("up_gauge 1\n"), std::string::npos);

  EXPECT_EQ(client.request(web::http::methods::GET, "/healthz").get().status_code(), 200);
  auto not_ready = client.request(web::http::methods::GET, "/readyz").get();
  EXPECT_EQ(not_ready.status_code(), 503);
  EXPECT_EQ(not_ready.extract_string().get(),
            "[-]informers-synced failed: nodes cache not synced\n"
            "[+]leader-election standby (informational)\n"
            "readyz check failed\n");
  ready = true;
  // Ready whether leading or not: leadership is reported, not required.
  auto standby = client.request(web::http::methods::GET, "/readyz").get();
  EXPECT_EQ(standby.status_code(), 200);
  EXPECT_EQ(standby.extract_string().get(),
            "[+]informers-synced ok\n"
            "[+]leader-election standby (informational)\n"
            "readyz check passed\n");
  leading = true;
  auto leader = client.request(web::http::methods::GET, "/readyz").get();
  EXPECT_EQ(leader.status_code(), 200);
  EXPECT_NE(leader.extract_string().get().find("[+]leader-election leading"), std::string::npos);
  EXPECT_EQ(client.request(web::http::methods::GET, "/nope").get().status_code(), 404);
  server.Stop();
}

TEST(MetricsServerTest, BadAddressIsRefusedByName) {
  Registry registry;
  MetricsServer server("nonsense", registry, {});
  Status s = server.Start();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("nonsense"), std::string::npos);
}

}  // namespace
}  // namespace kcau::metrics
