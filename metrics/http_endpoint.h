// The HTTP endpoint of kcau-controller and kcau-agent: GET /metrics (Prometheus text, what
// the collectables hold, written by prometheus-cpp's TextSerializer), /healthz, /readyz.
// /readyz lists its checks as the API server does ("[+]informers-synced ok" /
// "[-]informers-synced failed: ..."): 200 when every required check passes, 503 otherwise.
// Informational checks (whether this replica leads) are listed but never fail readiness: a
// standby with warm caches is ready to take over, and a Service should keep it.
// Served by HttpServer, whose limits (header and body size, time limits, connection cap)
// keep a slow or hostile client from holding the endpoint the kubelet probes.
//
// Thread-safety: Start/Stop/Port from one thread; requests are served on the server's thread
// and only collect the collectables and call the readiness callbacks, which must be
// thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "metrics/http_server.h"
#include "metrics/metrics_text.h"

namespace kcau::metrics {

struct ReadinessCheck {
  std::string name;
  // Empty when the check passes, else what is wrong. For an informational check: the state
  // to show (e.g. "leading", "standby").
  std::function<std::string()> run;
  bool informational = false;
};

class MetricsServer {
 public:
  // address: "127.0.0.1:PORT", or ":PORT" / "0.0.0.0:PORT" for every interface (what a pod
  // needs); see HttpServer.
  // /metrics serves what every one of `collectables` holds (a prometheus::Registry, and
  // collectors read at scrape time such as the process metrics).
  MetricsServer(std::string address, Collectables collectables, std::vector<ReadinessCheck> checks,
                HttpServerLimits limits = {});
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  Status Start();
  void Stop();
  // The port listened on after Start: the one asked for, or the one taken for port 0.
  int Port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kcau::metrics
