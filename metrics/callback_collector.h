// Metrics whose values live elsewhere and are read when scraped: counts an informer keeps,
// what /proc says about this process. prometheus-cpp's families hold values pushed into
// them; this Collectable instead asks a callback per family at each Collect.
//
// Thread-safety: Add before the collector is served (not synchronised with Collect);
// Collect from any thread, so the callbacks must be safe from any thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/labels.h>
#include <prometheus/metric_type.h>

namespace kcau::metrics {

struct Sample {
  prometheus::Labels labels;
  double value = 0;
};

class CallbackCollector final : public prometheus::Collectable {
 public:
  using Read = std::function<std::vector<Sample>()>;

  // `type`: Counter or Gauge. The name must be a valid metric name, the help one line (the
  // text format cannot carry a newline in it): std::invalid_argument otherwise.
  void Add(std::string name, std::string help, prometheus::MetricType type, Read read);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct Entry {
    std::string name;
    std::string help;
    prometheus::MetricType type;
    Read read;
  };
  std::vector<Entry> entries_;
};

}  // namespace kcau::metrics
