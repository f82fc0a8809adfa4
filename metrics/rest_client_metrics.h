// client-go's rest_client_* metrics for kcau's KubeClient: every request sent to the API
// server counted by HTTP status code and method (rest_client_requests_total{code,method};
// code "<error>" when no answer came), and its latency by verb
// (rest_client_request_duration_seconds{verb}). Given to the client as its
// kube::RequestObserver, so kube/ does not depend on a metrics library.
//
// Thread-safety: RequestDone is safe from any thread (prometheus-cpp's metrics are).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "kube/request_observer.h"

namespace kcau::metrics {

class RestClientMetrics final : public kube::RequestObserver {
 public:
  // Registers the families on `registry`, which must outlive this.
  explicit RestClientMetrics(prometheus::Registry& registry);
  RestClientMetrics(const RestClientMetrics&) = delete;
  RestClientMetrics& operator=(const RestClientMetrics&) = delete;

  void RequestDone(const std::string& method, int code,
                   std::chrono::duration<double> latency) override;

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
};

}  // namespace kcau::metrics
