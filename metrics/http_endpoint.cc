#include "metrics/http_endpoint.h"

namespace kcau::metrics {

namespace {

std::string Readyz(const std::vector<ReadinessCheck>& checks, bool& ready) {
  std::string body;
  ready = true;
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
  return body;
}

}  // namespace

struct MetricsServer::Impl {
  Collectables collectables;
  std::vector<ReadinessCheck> checks;
  std::unique_ptr<HttpServer> server;

  HttpResponse Handle(const HttpRequest& request) const {
    if (request.method != "GET") return {405, kPlainTextContentType, "method not allowed\n"};
    if (request.path == "/metrics") return {200, kTextContentType, MetricsText(collectables)};
    if (request.path == "/healthz" || request.path == "/livez") {
      return {200, kPlainTextContentType, "ok\n"};
    }
    if (request.path == "/readyz") {
      bool ready = false;
      std::string body = Readyz(checks, ready);
      return {ready ? 200 : 503, kPlainTextContentType, std::move(body)};
    }
    return {404, kPlainTextContentType, "not found\n"};
  }
};

MetricsServer::MetricsServer(std::string address, Collectables collectables,
                             std::vector<ReadinessCheck> checks, HttpServerLimits limits)
    : impl_(new Impl{std::move(collectables), std::move(checks), nullptr}) {
  impl_->server = std::make_unique<HttpServer>(
      std::move(address), limits,
      [impl = impl_.get()](const HttpRequest& r) { return impl->Handle(r); });
}

MetricsServer::~MetricsServer() { Stop(); }

Status MetricsServer::Start() { return impl_->server->Start(); }

void MetricsServer::Stop() { impl_->server->Stop(); }

int MetricsServer::Port() const { return impl_->server->Port(); }

}  // namespace kcau::metrics
