// RestClient against a scripted HTTP/1.1 server on a raw loopback socket: connections the
// server drops (an idle keep-alive connection closed while it sat in cpprest's pool, or a
// connection reset before any answer) and which requests may be sent again on a fresh one;
// a request the server reads and never answers, which Stop() must still reach.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kube/informer.h"
#include "kube/rest_client.h"

namespace kcau {
namespace {

using kube::Json;
namespace res = kube::resources;

constexpr char kNodeBody[] = R"({"kind":"Node","metadata":{"name":"n"}})";

// Serves one connection at a time. The first connections follow `script`; later ones answer
// every request until the client closes them. Each request read is recorded as
// "<connection number> <METHOD> <path>". Every answer is 200 with `body`.
class ScriptedServer {
 public:
  struct Connection {
    int answer = 1;                    // answer this many requests, then
    bool read_one_unanswered = false;  // read one more request without answering; then
    bool hold_unanswered = false;      // read one more and wait, silent, until the client
                                       // closes the connection; then
    bool graceful = false;             // close (FIN) rather than reset (RST)
  };

  explicit ScriptedServer(std::vector<Connection> script, std::string body = kNodeBody)
      : script_(std::move(script)), body_(std::move(body)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    listen(listen_fd_, 8);
    thread_ = std::thread([this] { Serve(); });
  }

  ~ScriptedServer() {
    stopping_ = true;
    shutdown(listen_fd_, SHUT_RDWR);  // unblocks accept()
    const int conn = current_fd_.load();
    if (conn >= 0) shutdown(conn, SHUT_RDWR);  // unblocks recv()
    thread_.join();
    close(listen_fd_);
  }

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::vector<std::string> Requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

  // Blocks (at most 10 s) until n connections were dropped; false if they were not.
  bool WaitForDrops(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return drops_ >= n; });
  }

 private:
  void Serve() {
    for (int number = 1; !stopping_; ++number) {
      const int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      current_fd_ = fd;
      std::string buffer;
      if (static_cast<size_t>(number) <= script_.size()) {
        const Connection& c = script_[number - 1];
        bool open = true;
        for (int i = 0; open && i < c.answer; ++i)
          open = ReadRequest(fd, number, buffer) && Answer(fd);
        if (open && c.read_one_unanswered) ReadRequest(fd, number, buffer);
        if (open && c.hold_unanswered && ReadRequest(fd, number, buffer)) {
          while (ReadMore(fd, buffer)) {
          }
        }
        Drop(fd, c.graceful);
      } else {
        while (ReadRequest(fd, number, buffer) && Answer(fd)) {
        }
        close(fd);
      }
      current_fd_ = -1;
    }
  }

  // Reads one whole request (headers, then Content-Length bytes of body) and records it.
  bool ReadRequest(int fd, int number, std::string& buffer) {
    size_t header_end;
    while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!ReadMore(fd, buffer)) return false;
    }
    std::string head = buffer.substr(0, header_end);
    size_t body_length = 0;
    std::string lower = head;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (const size_t at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
      body_length = std::stoul(head.substr(at + 17));
    }
    while (buffer.size() < header_end + 4 + body_length) {
      if (!ReadMore(fd, buffer)) return false;
    }
    buffer.erase(0, header_end + 4 + body_length);
    const std::string request_line = head.substr(0, head.find(" HTTP/"));
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(std::to_string(number) + " " + request_line);
    return true;
  }

  static bool ReadMore(int fd, std::string& buffer) {
    char chunk[4096];
    const ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
    return true;
  }

  bool Answer(int fd) const {
    const std::string response =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(body_.size()) + "\r\n\r\n" + body_;
    return send(fd, response.data(), response.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(response.size());
  }

  // A reset (linger 0: an RST) fails the client's next write on the connection at once; a
  // graceful close fails the write after that, or the read of the answer.
  void Drop(int fd, bool graceful) {
    if (!graceful) {
      const linger abort{1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
    }
    close(fd);
    std::lock_guard<std::mutex> lock(mu_);
    ++drops_;
    cv_.notify_all();
  }

  const std::vector<Connection> script_;
  const std::string body_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> current_fd_{-1};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> requests_;  // guarded by mu_
  int drops_ = 0;                      // guarded by mu_
  std::thread thread_;
};

std::unique_ptr<kube::RestClient> ClientFor(const ScriptedServer& server) {
  kube::ClientConfig config;
  config.server = server.Url();
  auto client = kube::RestClient::Create(config);
  return client.ok() ? std::move(client).value() : nullptr;
}

constexpr char kNodeAddedEvent[] =
    R"({"type":"ADDED","object":{"kind":"Node","metadata":{"name":"n","resourceVersion":"8"}}})"
    "\n";

Json NodeNamedN() { return Json::parse(R"({"metadata":{"name":"n"},"spec":{}})"); }

struct Call {
  std::string name;
  std::string request_line;  // what the server must read
  std::function<Status(kube::RestClient&)> run;
};

std::vector<Call> EveryVerb() {
  return {
      {"get", "GET /api/v1/nodes/n",
       [](kube::RestClient& c) {
         return c.Get(res::Nodes(), {"", "n"}).status();
       }},
      {"create", "POST /api/v1/nodes",
       [](kube::RestClient& c) { return c.Create(res::Nodes(), NodeNamedN()).status(); }},
      {"update", "PUT /api/v1/nodes/n",
       [](kube::RestClient& c) { return c.Update(res::Nodes(), NodeNamedN()).status(); }},
      {"patch", "PATCH /api/v1/nodes/n",
       [](kube::RestClient& c) {
         return c
             .Patch(res::Nodes(), {"", "n"}, kube::PatchType::kMerge,
                    Json::parse(R"({"spec":{"unschedulable":true}})"), false)
             .status();
       }},
      {"delete", "DELETE /api/v1/nodes/n",
       [](kube::RestClient& c) {
         return c.Delete(res::Nodes(), {"", "n"});
       }},
  };
}

// The server answers one request, then drops the connection while it sits in the client's
// pool. The next request of any verb is written on that dead connection and fails before the
// server could have read it whole: it must go out again on a fresh connection.
TEST(RestClientReconnectTest, APooledConnectionTheServerClosedIsReplacedForEveryVerb) {
  for (const bool graceful : {false, true}) {
    for (const Call& call : EveryVerb()) {
      SCOPED_TRACE(call.name + (graceful ? ", closed" : ", reset"));
      ScriptedServer server({ScriptedServer::Connection{.answer = 1, .graceful = graceful}});
      auto client = ClientFor(server);
      ASSERT_NE(client, nullptr);
      ASSERT_TRUE(client->Get(res::Nodes(), {"", "n"}).ok());
      ASSERT_TRUE(server.WaitForDrops(1));

      const Status s = call.run(*client);
      EXPECT_TRUE(s.ok()) << s.ToString();
      EXPECT_EQ(server.Requests(),
                (std::vector<std::string>{"1 GET /api/v1/nodes/n", "2 " + call.request_line}));
    }
  }
}

// Watches have their own pool (their connections wait far longer): the same holds there.
TEST(RestClientReconnectTest, AWatchOnAPooledConnectionTheServerClosedIsSentAgain) {
  ScriptedServer server({ScriptedServer::Connection{.answer = 1}}, kNodeAddedEvent);
  auto client = ClientFor(server);
  ASSERT_NE(client, nullptr);
  {
    auto first = client->Watch(res::Nodes(), "", {}, "7");
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    auto event = (*first)->Next();  // reads the whole (one-line) answer: the connection is pooled
    ASSERT_TRUE(event.ok() && event->has_value()) << event.status().ToString();
  }
  ASSERT_TRUE(server.WaitForDrops(1));
  auto second = client->Watch(res::Nodes(), "", {}, "7");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  auto event = (*second)->Next();  // the request goes out when the stream is first read
  ASSERT_TRUE(event.ok() && event->has_value()) << event.status().ToString();
  EXPECT_EQ((*event)->type, "ADDED");
  const auto requests = server.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].rfind("1 GET /api/v1/nodes?watch=1", 0), 0u) << requests[0];
  EXPECT_EQ(requests[1].rfind("2 GET /api/v1/nodes?watch=1", 0), 0u) << requests[1];
}

// A request the server read whole and then dropped without a byte of answer: the server may
// have acted on it, so only an idempotent verb is sent again; a POST or PATCH fails.
TEST(RestClientReconnectTest, AWholeRequestLeftUnansweredIsSentAgainOnlyWhenIdempotent) {
  for (const Call& call : EveryVerb()) {
    SCOPED_TRACE(call.name);
    const bool idempotent = call.name != "create" && call.name != "patch";
    ScriptedServer server({ScriptedServer::Connection{.answer = 0, .read_one_unanswered = true}});
    auto client = ClientFor(server);
    ASSERT_NE(client, nullptr);

    const Status s = call.run(*client);
    if (idempotent) {
      EXPECT_TRUE(s.ok()) << s.ToString();
      EXPECT_EQ(server.Requests(),
                (std::vector<std::string>{"1 " + call.request_line, "2 " + call.request_line}));
    } else {
      EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
      EXPECT_EQ(server.Requests(), std::vector<std::string>{"1 " + call.request_line});
    }
  }
}

// Runs `work` on a thread of its own and waits at most 10 s for it. If it does not return,
// `unblock` ends what holds it (the server's sockets) so that the thread can be joined and
// the test fails instead of hanging.
bool ReturnsPromptly(const std::function<void()>& work, const std::function<void()>& unblock) {
  std::packaged_task<void()> task(work);
  std::future<void> done = task.get_future();
  std::thread thread(std::move(task));
  const bool prompt = done.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  if (!prompt) unblock();
  thread.join();
  return prompt;
}

// Blocks (at most 10 s) until the server has read n requests.
bool WaitForRequests(ScriptedServer& server, size_t n) {
  for (int i = 0; i < 400 && server.Requests().size() < n; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return server.Requests().size() >= n;
}

// A watch whose request was read and never answered (a server going down, a balancer that
// accepts and says nothing) waits for the watch client's timeout, over five minutes; Stop()
// from another thread must end the wait.
TEST(RestClientWatchTest, StopReachesAWatchWhoseAnswerNeverComes) {
  auto server = std::make_unique<ScriptedServer>(
      std::vector<ScriptedServer::Connection>{{.answer = 0, .hold_unanswered = true}});
  auto client = ClientFor(*server);
  ASSERT_NE(client, nullptr);
  std::mutex mu;
  kube::WatchStream* opened = nullptr;  // guarded by mu: the stream, once Watch returned it
  StatusOr<std::optional<kube::WatchEvent>> event = std::optional<kube::WatchEvent>();
  auto read = [&] {
    auto stream = client->Watch(res::Nodes(), "", {}, "7");
    if (!stream.ok()) {
      event = stream.status();
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      opened = stream->get();
    }
    event = (*stream)->Next();
    std::lock_guard<std::mutex> lock(mu);
    opened = nullptr;
  };
  std::thread stopper([&] {
    if (!WaitForRequests(*server, 1)) return;
    for (int i = 0; i < 400; ++i) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (opened != nullptr) {
          opened->Stop();
          return;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  });
  const bool prompt = ReturnsPromptly(read, [&] { server.reset(); });
  stopper.join();
  ASSERT_TRUE(prompt) << "the watch still waited for its answer after Stop()";
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_FALSE(event->has_value());
}

// The same through an Informer: listed, then its watch never answered; Stop() returns.
TEST(RestClientWatchTest, AnInformerStopsWhileItsWatchIsUnanswered) {
  auto server = std::make_unique<ScriptedServer>(
      std::vector<ScriptedServer::Connection>{{.answer = 1, .graceful = true},
                                              {.answer = 0, .hold_unanswered = true}},
      R"({"kind":"NodeList","metadata":{"resourceVersion":"7"},"items":[)"
      R"({"kind":"Node","metadata":{"name":"n","resourceVersion":"7"}}]})");
  auto client = ClientFor(*server);
  ASSERT_NE(client, nullptr);
  kube::Informer informer(*client, res::Nodes(), "", {}, [](const std::string&, const Json&) {});
  informer.Start();
  ASSERT_TRUE(WaitForRequests(*server, 2)) << "the informer listed and watched";
  EXPECT_TRUE(informer.HasSynced());
  EXPECT_EQ(server->Requests()[1].rfind("2 GET /api/v1/nodes?watch=1", 0), 0u)
      << server->Requests()[1];
  EXPECT_TRUE(ReturnsPromptly([&] { informer.Stop(); }, [&] { server.reset(); }))
      << "Informer::Stop() waited for the watch's answer";
}

TEST(RestClientWatchTest, AnInformerStopsWhileItsListIsUnanswered) {
  auto server = std::make_unique<ScriptedServer>(
      std::vector<ScriptedServer::Connection>{{.answer = 0, .hold_unanswered = true}});
  auto client = ClientFor(*server);
  ASSERT_NE(client, nullptr);
  kube::Informer informer(*client, res::Nodes(), "", {}, [](const std::string&, const Json&) {});
  informer.Start();
  ASSERT_TRUE(WaitForRequests(*server, 1)) << "the informer listed";
  EXPECT_EQ(server->Requests()[0].rfind("1 GET /api/v1/nodes", 0), 0u) << server->Requests()[0];
  EXPECT_FALSE(informer.HasSynced());
  EXPECT_TRUE(ReturnsPromptly([&] { informer.Stop(); }, [&] { server.reset(); }))
      << "Informer::Stop() waited for the list's answer";
}

}  // namespace
}  // namespace kcau
