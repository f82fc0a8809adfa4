#include "metrics/http_endpoint.h"

#include <arpa/inet.h>
#include <cpprest/http_client.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <thread>

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace kcau::metrics {
namespace {

// A client on a raw socket, to do what well-behaved HTTP clients never do: send too much,
// too slowly, or nothing at all. Every read gives up after a generous bound (10 s), so a
// server that never closes fails the test instead of hanging it.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    const timeval bound{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof(bound));
  }
  ~RawClient() { close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  // False when the server stopped taking bytes (closed or reset the connection).
  bool Send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  struct Received {
    std::string bytes;
    bool closed = false;  // the server closed (or reset) the connection within the bound
  };

  // Everything the server sends until it closes the connection.
  Received ReadUntilClosed() {
    Received r;
    char chunk[4096];
    for (;;) {
      const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
      if (n > 0) {
        r.bytes.append(chunk, static_cast<size_t>(n));
        continue;
      }
      r.closed = n == 0 || errno == ECONNRESET;
      return r;
    }
  }

  // One response (status line, headers, Content-Length bytes of body), leaving the connection
  // open; empty if the connection ended first.
  std::string ReadResponse() {
    size_t header_end;
    while ((header_end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!ReadMore()) return "";
    }
    size_t length = 0;
    if (const size_t at = pending_.find("Content-Length: "); at < header_end) {
      length = std::stoul(pending_.substr(at + 16));
    }
    while (pending_.size() < header_end + 4 + length) {
      if (!ReadMore()) return "";
    }
    std::string response = pending_.substr(0, header_end + 4 + length);
    pending_.erase(0, response.size());
    return response;
  }

 private:
  bool ReadMore() {
    char chunk[4096];
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    pending_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;
};

std::string Get(const std::string& target, const std::string& extra_headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: test\r\n" + extra_headers + "\r\n";
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

class MetricsServerTest : public ::testing::Test {
 protected:
  void Start(HttpServerLimits limits = {}) {
    AddUpGauge();
    server_ = std::make_unique<MetricsServer>("127.0.0.1:0", Collectables{registry_},
                                              std::vector<ReadinessCheck>{}, limits);
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->Port(), 0);
  }
  int port() const { return server_->Port(); }
  void AddUpGauge() {
    prometheus::BuildGauge().Name("up_gauge").Help("Up.").Register(*registry_).Add({}).Set(1);
  }

  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  std::unique_ptr<MetricsServer> server_;
};

TEST_F(MetricsServerTest, ServesMetricsHealthAndReadiness) {
  AddUpGauge();
  std::atomic<bool> ready{false};
  std::atomic<bool> leading{false};
  MetricsServer server(
      "127.0.0.1:0", {registry_},
      {{"informers-synced", [&] { return ready ? std::string() : "nodes cache not synced"; }},
       {"leader-election", [&] { return std::string(leading ? "leading" : "standby"); }, true}});
  ASSERT_TRUE(server.Start().ok());
  web::http::client::http_client client("http://127.0.0.1:" + std::to_string(server.Port()));

  auto metrics = client.request(web::http::methods::GET, "/metrics").get();
  EXPECT_EQ(metrics.status_code(), 200);
  EXPECT_EQ(metrics.headers().content_type(), kTextContentType);
  EXPECT_NE(metrics.extract_string().get().find("up_gauge 1\n"), std::string::npos);

  auto healthz = client.request(web::http::methods::GET, "/healthz").get();
  EXPECT_EQ(healthz.status_code(), 200);
  EXPECT_EQ(healthz.extract_string().get(), "ok\n");
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
  EXPECT_EQ(client.request(web::http::methods::POST, "/metrics").get().status_code(), 405);
  server.Stop();
}

TEST_F(MetricsServerTest, KeepAliveServesRequestsInTurnAndIgnoresTheQuery) {
  Start();
  RawClient c(port());
  ASSERT_TRUE(c.connected());
  // Two requests in one write (pipelined), then two more on the same connection.
  ASSERT_TRUE(c.Send(Get("/healthz") + Get("/metrics?debug=1")));
  EXPECT_TRUE(StartsWith(c.ReadResponse(), "HTTP/1.1 200 OK\r\n"));
  const std::string metrics = c.ReadResponse();
  EXPECT_TRUE(StartsWith(metrics, "HTTP/1.1 200 OK\r\n")) << metrics;
  EXPECT_NE(metrics.find("up_gauge 1\n"), std::string::npos);
  ASSERT_TRUE(c.Send("DELETE /metrics HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\n\r\n{}"));
  EXPECT_TRUE(StartsWith(c.ReadResponse(), "HTTP/1.1 405 Method Not Allowed\r\n"));
  ASSERT_TRUE(c.Send(Get("/nope", "Connection: close\r\n")));
  const RawClient::Received last = c.ReadUntilClosed();
  EXPECT_TRUE(StartsWith(last.bytes, "HTTP/1.1 404 Not Found\r\n")) << last.bytes;
  EXPECT_TRUE(last.closed);
}

TEST_F(MetricsServerTest, OversizedHeadersAreRefused) {
  HttpServerLimits limits;
  limits.max_header_bytes = 8 * 1024;
  Start(limits);
  {
    // Just over the limit, sent whole: the answer is a 431, and the connection ends.
    RawClient c(port());
    ASSERT_TRUE(c.Send(Get("/metrics", "X-Filler: " + std::string(9 * 1024, 'a') + "\r\n")));
    const RawClient::Received r = c.ReadUntilClosed();
    EXPECT_TRUE(StartsWith(r.bytes, "HTTP/1.1 431 Request Header Fields Too Large\r\n")) << r.bytes;
    EXPECT_TRUE(r.closed);
  }
  {
    // A megabyte of header: a 431 or the connection cut short, never an answer to the request.
    RawClient c(port());
    c.Send(Get("/metrics", "X-Filler: " + std::string(1024 * 1024, 'a') + "\r\n"));
    const RawClient::Received r = c.ReadUntilClosed();
    EXPECT_TRUE(r.bytes.empty() || StartsWith(r.bytes, "HTTP/1.1 431 ")) << r.bytes.substr(0, 80);
    EXPECT_TRUE(r.closed);
  }
  // Within the limit is served.
  RawClient ok(port());
  ASSERT_TRUE(ok.Send(Get("/healthz", "X-Filler: " + std::string(4 * 1024, 'a') + "\r\n")));
  EXPECT_TRUE(StartsWith(ok.ReadResponse(), "HTTP/1.1 200 OK\r\n"));
}

TEST_F(MetricsServerTest, OversizedBodiesAreRefused) {
  HttpServerLimits limits;
  limits.max_body_bytes = 1024;
  Start(limits);
  struct Case {
    std::string name;
    std::string request;
    std::string want;
  };
  const std::string big(5000, 'b');
  char chunk_size[16];
  snprintf(chunk_size, sizeof(chunk_size), "%zx", big.size());
  for (const Case& c :
       {Case{"content-length over", Get("/metrics", "Content-Length: 5000\r\n") + big,
             "HTTP/1.1 413 Payload Too Large\r\n"},
        Case{"chunked over",
             Get("/metrics", "Transfer-Encoding: chunked\r\n") + chunk_size + "\r\n" + big +
                 "\r\n0\r\n\r\n",
             "HTTP/1.1 413 Payload Too Large\r\n"},
        Case{"small body", Get("/healthz", "Content-Length: 10\r\n") + std::string(10, 'b'),
             "HTTP/1.1 200 OK\r\n"}}) {
    SCOPED_TRACE(c.name);
    RawClient client(port());
    ASSERT_TRUE(client.Send(c.request));
    const std::string response = client.ReadResponse();
    EXPECT_TRUE(StartsWith(response, c.want)) << response;
  }
}

TEST_F(MetricsServerTest, MalformedRequestIsABadRequest) {
  Start();
  RawClient c(port());
  ASSERT_TRUE(c.Send("GET /metrics HTTP/1.1\r\nHost test\r\n\r\n"));  // a header without ':'
  const RawClient::Received r = c.ReadUntilClosed();
  EXPECT_TRUE(StartsWith(r.bytes, "HTTP/1.1 400 Bad Request\r\n")) << r.bytes;
  EXPECT_NE(r.bytes.find("bad request: "), std::string::npos) << r.bytes;
  EXPECT_TRUE(r.closed);
}

TEST_F(MetricsServerTest, AClientThatNeverFinishesItsRequestIsDropped) {
  HttpServerLimits limits;
  limits.request_timeout = std::chrono::milliseconds(200);
  Start(limits);
  RawClient silent(port());  // connects and sends nothing
  RawClient slow(port());    // starts a request and never ends its headers
  ASSERT_TRUE(slow.Send("GET /metrics HTTP/1.1\r\nHost: test\r\nX-Slow: "));
  for (RawClient* c : {&silent, &slow}) {
    const RawClient::Received r = c->ReadUntilClosed();
    EXPECT_TRUE(r.closed) << "still open after the 10 s bound";
    EXPECT_EQ(r.bytes, "");
  }
}

TEST_F(MetricsServerTest, AnIdleKeepAliveConnectionIsClosed) {
  HttpServerLimits limits;
  limits.idle_timeout = std::chrono::milliseconds(200);
  limits.request_timeout = std::chrono::minutes(10);  // the idle limit must close it, not this
  Start(limits);
  RawClient c(port());
  ASSERT_TRUE(c.Send(Get("/healthz")));
  const RawClient::Received r = c.ReadUntilClosed();
  EXPECT_TRUE(StartsWith(r.bytes, "HTTP/1.1 200 OK\r\n")) << r.bytes;
  EXPECT_TRUE(r.closed) << "still open after the 10 s bound";
}

TEST_F(MetricsServerTest, ConnectionsOverTheCapAreClosedAtOnce) {
  HttpServerLimits limits;
  limits.max_connections = 2;
  limits.request_timeout = std::chrono::minutes(10);
  Start(limits);
  auto first = std::make_unique<RawClient>(port());
  RawClient second(port());
  ASSERT_TRUE(first->Send("GET /healthz HTTP/1.1\r\n"));
  ASSERT_TRUE(second.Send("GET /healthz HTTP/1.1\r\n"));
  {
    RawClient over(port());
    over.Send(Get("/healthz"));
    const RawClient::Received r = over.ReadUntilClosed();
    EXPECT_TRUE(r.closed);
    EXPECT_EQ(r.bytes, "");
  }
  // The two within the cap are served when they finish their requests.
  ASSERT_TRUE(second.Send("Host: test\r\n\r\n"));
  EXPECT_TRUE(StartsWith(second.ReadResponse(), "HTTP/1.1 200 OK\r\n"));
  // A connection that ends frees its place for another.
  first.reset();
  bool served = false;
  for (int attempt = 0; attempt < 200 && !served; ++attempt) {
    RawClient next(port());
    next.Send(Get("/healthz", "Connection: close\r\n"));
    served = StartsWith(next.ReadUntilClosed().bytes, "HTTP/1.1 200 OK\r\n");
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_TRUE(served);
}

TEST_F(MetricsServerTest, StopClosesOpenConnections) {
  Start();
  RawClient slow(port());
  ASSERT_TRUE(slow.Send("GET /metrics HTTP/1.1\r\n"));
  server_->Stop();
  EXPECT_TRUE(slow.ReadUntilClosed().closed);
  EXPECT_FALSE(RawClient(port()).connected());
}

TEST(MetricsServerAddressTest, BadAddressesAreRefusedByName) {
  for (const std::string address : {"nonsense", "127.0.0.1:http", "127.0.0.1:70000", ":"}) {
    SCOPED_TRACE(address);
    MetricsServer server(address, {}, {});
    Status s = server.Start();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("\"" + address + "\""), std::string::npos) << s.message();
  }
}

TEST(MetricsServerAddressTest, ABusyPortIsUnavailable) {
  MetricsServer first("127.0.0.1:0", {}, {});
  ASSERT_TRUE(first.Start().ok());
  const std::string address = "127.0.0.1:" + std::to_string(first.Port());
  MetricsServer second(address, {}, {});
  Status s = second.Start();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("cannot listen on " + address), std::string::npos) << s.message();
}

}  // namespace
}  // namespace kcau::metrics
