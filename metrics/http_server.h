// A small HTTP/1.1 server with the limits an endpoint reachable from a network needs, none of
// which cpprest's http_listener has: request headers and body are capped (431 / 413), a
// request must arrive whole within a time limit (a client that never finishes its headers is
// dropped), a keep-alive connection may idle only so long, an answer must be taken within a
// time limit, and connections over a cap are closed at once. Built on Boost.Beast (header-only,
// Debian's libboost-dev), which stays in the .cc behind a pimpl.
//
// Thread-safety: Start/Stop/Port from one thread. Connections are served on one internal
// thread, so the handler runs on that thread only, one request at a time; it must be quick.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace kcau::metrics {

struct HttpServerLimits {
  size_t max_header_bytes = 8 * 1024;  // request line and headers; more: 431
  size_t max_body_bytes = 1024;        // the endpoint serves GETs; a larger body: 413
  // From a connection's start, or from the first byte of a keep-alive connection's next
  // request, until the request has been read whole.
  Duration request_timeout = std::chrono::seconds(5);
  // A keep-alive connection's wait for the next request's first byte.
  Duration idle_timeout = std::chrono::seconds(30);
  Duration write_timeout = std::chrono::seconds(10);  // to write one answer
  int max_connections = 32;                           // more are closed as they are accepted
};

struct HttpRequest {
  std::string method;  // "GET"
  std::string path;    // the target without its query: "/metrics"
};

inline constexpr char kPlainTextContentType[] = "text/plain; charset=utf-8";

struct HttpResponse {
  int status = 200;
  std::string content_type = kPlainTextContentType;
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  // address: "HOST:PORT" (HOST an address or a name; an IPv6 address may be in brackets), or
  // ":PORT" for every IPv4 interface. Port 0 takes a free port (see Port()).
  HttpServer(std::string address, HttpServerLimits limits, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Listens and starts serving; an error names the address.
  Status Start();
  // Closes the listener and every connection, and waits for the serving thread.
  void Stop();
  // The port listened on after Start (0 before).
  int Port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kcau::metrics
