#include "metrics/callback_collector.h"

#include <stdexcept>

#include <prometheus/check_names.h>
#include <prometheus/metric_family.h>

namespace kcau::metrics {

void CallbackCollector::Add(std::string name, std::string help, prometheus::MetricType type,
                            Read read) {
  if (!prometheus::CheckMetricName(name)) {
    throw std::invalid_argument("metric name \"" + name + "\" is not valid");
  }
  if (help.find_first_of("\n\\") != std::string::npos) {
    throw std::invalid_argument("metric " + name + ": help must be one line without backslashes");
  }
  if (type != prometheus::MetricType::Counter && type != prometheus::MetricType::Gauge) {
    throw std::invalid_argument("metric " + name + ": only counters and gauges are read back");
  }
  entries_.push_back({std::move(name), std::move(help), type, std::move(read)});
}

std::vector<prometheus::MetricFamily> CallbackCollector::Collect() const {
  std::vector<prometheus::MetricFamily> families;
  for (const auto& e : entries_) {
    prometheus::MetricFamily family{e.name, e.help, e.type, {}};
    for (auto& sample : e.read()) {
      prometheus::ClientMetric metric;
      for (auto& [name, value] : sample.labels) metric.label.push_back({name, value});
      if (e.type == prometheus::MetricType::Counter) {
        metric.counter.value = sample.value;
      } else {
        metric.gauge.value = sample.value;
      }
      family.metric.push_back(std::move(metric));
    }
    if (!family.metric.empty()) families.push_back(std::move(family));
  }
  return families;
}

}  // namespace kcau::metrics
