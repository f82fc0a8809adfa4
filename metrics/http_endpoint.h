// The controller's HTTP endpoint: GET /metrics (Prometheus text), /healthz, /readyz.
// cpprestsdk stays in the .cc (pimpl): http_listener.h is expensive to compile.
//
// Thread-safety: Start/Stop from one thread; requests are served on cpprest's pool and only
// read the registry and call the readiness callbacks, which must be thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "metrics/registry.h"

namespace kcau::metrics {

class MetricsServer {
 public:
  // address: "127.0.0.1:PORT", or ":PORT" for every interface (what a pod needs).
  MetricsServer(std::string address, const Registry& registry, std::function<bool()> ready,
                std::function<std::string()> not_ready_reason);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  Status Start();
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kcau::metrics
