#include "metrics/rest_client_metrics.h"

#include <string>

namespace kcau::metrics {

namespace {

// client-go's buckets for rest_client_request_duration_seconds.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries b = {0.005, 0.025, 0.1, 0.25, 0.5,  1.0,
                                                            2.0,   4.0,   8.0, 15.0, 30.0, 60.0};
  return b;
}

}  // namespace

RestClientMetrics::RestClientMetrics(prometheus::Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("rest_client_requests_total")
                    .Help("Number of HTTP requests, partitioned by status code and method.")
                    .Register(registry)),
      duration_(prometheus::BuildHistogram()
                    .Name("rest_client_request_duration_seconds")
                    .Help("Request latency in seconds. Broken down by verb.")
                    .Register(registry)) {
  // The verbs kcau's client uses, present from the start.
  for (const char* verb : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
    duration_.Add({{"verb", verb}}, LatencyBuckets());
  }
}

void RestClientMetrics::RequestDone(const std::string& method, int code,
                                    std::chrono::duration<double> latency) {
  requests_.Add({{"code", code == 0 ? "<error>" : std::to_string(code)}, {"method", method}})
      .Increment();
  duration_.Add({{"verb", method}}, LatencyBuckets()).Observe(latency.count());
}

}  // namespace kcau::metrics
