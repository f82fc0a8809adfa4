#include "metrics/http_endpoint.h"

#include <cpprest/http_listener.h>

#include "metrics/exposition.h"

namespace kcau::metrics {

namespace http = web::http;

struct MetricsServer::Impl {
  std::string address;
  const Registry& registry;
  std::vector<ReadinessCheck> checks;
  std::unique_ptr<http::experimental::listener::http_listener> listener;

  void Handle(http::http_request request) {
    const std::string path = request.relative_uri().path();
    if (request.method() != http::methods::GET) {
      request.reply(http::status_codes::MethodNotAllowed, "method not allowed\n");
      return;
    }
    if (path == "/metrics") {
      request.reply(http::status_codes::OK, RenderText(registry), kTextContentType);
    } else if (path == "/healthz" || path == "/livez") {
      request.reply(http::status_codes::OK, "ok\n", "text/plain");
    } else if (path == "/readyz") {
      std::string body;
      bool ready = true;
      for (const auto& check : checks) {
        const std::string result = check.run();
        if (check.informational) {
          body += "[+]" + check.name + " " + result + " (informational)\n";
        } else if (result.empty()) {
          body += "[+]" + check.name + " ok\n";
        } else {
          body += "[-]" + check.name + " failed: " + result + "\n";
          ready = false;
        }
      }
      body += ready ? "readyz check passed\n" : "readyz check failed\n";
      request.reply(ready ? http::status_codes::OK : http::status_codes::ServiceUnavailable, body,
                    "text/plain");
    } else {
      request.reply(http::status_codes::NotFound, "not found\n", "text/plain");
    }
  }
};

MetricsServer::MetricsServer(std::string address, const Registry& registry,
                             std::vector<ReadinessCheck> checks)
    : impl_(new Impl{std::move(address), registry, std::move(checks), nullptr}) {}

MetricsServer::~MetricsServer() { Stop(); }

Status MetricsServer::Start() {
  std::string host_port = impl_->address;
  if (!host_port.empty() && host_port[0] == ':') host_port = "0.0.0.0" + host_port;
  if (host_port.find(':') == std::string::npos) {
    return InvalidArgumentError("metrics address \"" + impl_->address +
                                "\" is not HOST:PORT or :PORT");
  }
  try {
    impl_->listener =
        std::make_unique<http::experimental::listener::http_listener>("http://" + host_port + "/");
    impl_->listener->support([this](http::http_request r) { impl_->Handle(std::move(r)); });
    impl_->listener->open().wait();
  } catch (const std::exception& e) {
    impl_->listener.reset();
    return UnavailableError("cannot listen on " + impl_->address + ": " + e.what());
  }
  return Status::Ok();
}

void MetricsServer::Stop() {
  if (!impl_->listener) return;
  try {
    impl_->listener->close().wait();
  } catch (const std::exception&) {
    // Closing a listener whose socket already failed: nothing left to release.
  }
  impl_->listener.reset();
}

}  // namespace kcau::metrics
