#include "metrics/http_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <thread>

#include "common/thread_name.h"

namespace kcau::metrics {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

// What the server's connections share with it. Each connection holds it, so a connection
// destroyed while the server stops still finds it.
struct Shared {
  HttpServerLimits limits;
  HttpHandler handler;
  int open_connections = 0;  // touched on the serving thread only (and after it has ended)
};

// One client connection: read a request within the limits, answer, and so on while the
// client keeps the connection alive. Lives as long as an operation of its own is pending.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<Shared> shared)
      : shared_(std::move(shared)),
        stream_(std::move(socket)),
        buffer_(shared_->limits.max_header_bytes + shared_->limits.max_body_bytes + kReadSize) {
    ++shared_->open_connections;
  }
  ~Connection() { --shared_->open_connections; }

  void Start() { ReadRequest(); }

 private:
  // Bytes read at a time; also the room past the limits that lets the parser see one crossed.
  static constexpr size_t kReadSize = 4096;
  // The longest a closing connection waits for the client to stop sending.
  static constexpr Duration kMaxLinger = std::chrono::seconds(1);

  // A keep-alive connection: wait (idle timeout) for the next request's first byte, unless a
  // pipelined one is buffered already; from then on the request timeout applies.
  void AwaitNextRequest() {
    if (buffer_.size() > 0) return ReadRequest();
    stream_.expires_after(shared_->limits.idle_timeout);
    stream_.async_read_some(buffer_.prepare(kReadSize),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->Close();
                              self->buffer_.commit(n);
                              self->ReadRequest();
                            });
  }

  void ReadRequest() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->limits.max_header_bytes));
    parser_->body_limit(shared_->limits.max_body_bytes);
    stream_.expires_after(shared_->limits.request_timeout);
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRequest(ec); });
  }

  void OnRequest(beast::error_code ec) {
    const bool header_done = parser_->is_header_done();
    if (ec == bhttp::error::header_limit || (ec == bhttp::error::buffer_overflow && !header_done)) {
      return Refuse(bhttp::status::request_header_fields_too_large,
                    "request header fields too large\n");
    }
    if (ec == bhttp::error::body_limit || ec == bhttp::error::buffer_overflow) {
      return Refuse(bhttp::status::payload_too_large, "request body too large\n");
    }
    // The client went away, or was too slow: nothing to answer.
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
        ec == beast::error::timeout) {
      return Close();
    }
    if (ec) {
      // A malformed request gets a 400 naming the problem; a broken socket gets nothing.
      if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
        return Refuse(bhttp::status::bad_request, "bad request: " + ec.message() + "\n");
      }
      return Close();
    }
    const auto& request = parser_->get();
    const std::string_view target(request.target().data(), request.target().size());
    HttpResponse answer;
    try {
      answer = shared_->handler(
          {std::string(request.method_string()), std::string(target.substr(0, target.find('?')))});
    } catch (const std::exception& e) {
      answer = {500, kPlainTextContentType, std::string("internal error: ") + e.what() + "\n"};
    }
    Reply(answer, request.version(), request.keep_alive());
  }

  // Answers a request that cannot be served, and closes the connection.
  void Refuse(bhttp::status status, std::string body) {
    Reply({static_cast<int>(status), kPlainTextContentType, std::move(body)}, 11, false);
  }

  void Reply(const HttpResponse& answer, unsigned version, bool keep_alive) {
    response_ = {};
    response_.version(version);
    response_.result(static_cast<unsigned>(answer.status));
    response_.set(bhttp::field::content_type, answer.content_type);
    response_.body() = answer.body;
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    stream_.expires_after(shared_->limits.write_timeout);
    bhttp::async_write(stream_, response_,
                       [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                         if (ec) return self->Close();
                         if (!keep_alive) return self->CloseAfterAnswer();
                         self->AwaitNextRequest();
                       });
  }

  // Stops sending, then reads and drops what the client still sends until it closes (for a
  // short while at most): closing with unread bytes would make the kernel send a reset, and
  // a reset can destroy the answer before the client reads it.
  void CloseAfterAnswer() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::min(kMaxLinger, shared_->limits.request_timeout));
    Drain();
  }

  void Drain() {
    stream_.async_read_some(asio::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  std::shared_ptr<Shared> shared_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;  // bounded: a request over the limits cannot grow it further
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> response_;
  std::array<char, 4096> discard_;
};

// Splits "HOST:PORT", ":PORT" or "[V6]:PORT"; false when it is none of them.
bool SplitAddress(const std::string& address, std::string& host, std::string& port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  host = address.substr(0, colon);
  port = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  return std::stoi(port) <= 65535;
}

}  // namespace

struct HttpServer::Impl {
  std::string address;
  std::shared_ptr<Shared> shared;
  std::unique_ptr<asio::io_context> io;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<asio::steady_timer> accept_pause;
  std::thread thread;
  int port = 0;

  void Accept() {
    acceptor->async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) {
        // Out of file descriptors, say: try again shortly rather than spin.
        accept_pause->expires_after(std::chrono::milliseconds(100));
        accept_pause->async_wait([this](beast::error_code wait_ec) {
          if (!wait_ec) Accept();
        });
        return;
      }
      if (shared->open_connections >= shared->limits.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<Connection>(std::move(socket), shared)->Start();
      }
      Accept();
    });
  }

  // Releases everything Start made; the serving thread has ended (or never began).
  void Release() {
    acceptor.reset();
    accept_pause.reset();
    io.reset();  // destroys pending handlers, and with them the connections they hold
    port = 0;
  }
};

HttpServer::HttpServer(std::string address, HttpServerLimits limits, HttpHandler handler)
    : impl_(new Impl{std::move(address),
                     std::make_shared<Shared>(Shared{limits, std::move(handler), 0}),
                     nullptr,
                     nullptr,
                     nullptr,
                     {},
                     0}) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  if (impl_->io) return Status::Ok();
  std::string host, port;
  if (!SplitAddress(impl_->address, host, port)) {
    return InvalidArgumentError("address \"" + impl_->address + "\" is not HOST:PORT or :PORT");
  }
  impl_->io = std::make_unique<asio::io_context>(1);
  beast::error_code ec;
  const auto fail = [&](const std::string& what) {
    impl_->Release();
    return UnavailableError("cannot listen on " + impl_->address + ": " + what);
  };
  tcp::resolver resolver(*impl_->io);
  const auto endpoints =
      resolver.resolve(host, port, tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec) return fail(ec.message());
  if (endpoints.empty()) return fail("no address for \"" + host + "\"");
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  impl_->acceptor = std::make_unique<tcp::acceptor>(*impl_->io);
  impl_->acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor->bind(endpoint, ec);
  if (!ec) impl_->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(ec.message());
  impl_->port = impl_->acceptor->local_endpoint(ec).port();
  impl_->accept_pause = std::make_unique<asio::steady_timer>(*impl_->io);
  impl_->Accept();
  impl_->thread = std::thread([io = impl_->io.get()] {
    NameThisThread("metrics-http");
    io->run();
  });
  return Status::Ok();
}

void HttpServer::Stop() {
  if (!impl_->io) return;
  impl_->io->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->Release();
}

int HttpServer::Port() const { return impl_->port; }

}  // namespace kcau::metrics
