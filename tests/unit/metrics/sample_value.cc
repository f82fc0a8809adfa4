#include "tests/unit/metrics/sample_value.h"

#include <prometheus/metric_family.h>

namespace kcau::metrics {

namespace {

std::optional<prometheus::ClientMetric> Find(const prometheus::Collectable& c,
                                             const std::string& name,
                                             const prometheus::Labels& labels,
                                             prometheus::MetricType* type = nullptr) {
  for (const auto& family : c.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      prometheus::Labels have;
      for (const auto& l : metric.label) have[l.name] = l.value;
      if (have != labels) continue;
      if (type != nullptr) *type = family.type;
      return metric;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<double> SampleValue(const prometheus::Collectable& c, const std::string& name,
                                  const prometheus::Labels& labels) {
  prometheus::MetricType type = prometheus::MetricType::Untyped;
  auto m = Find(c, name, labels, &type);
  if (!m) return std::nullopt;
  return type == prometheus::MetricType::Counter ? m->counter.value : m->gauge.value;
}

std::optional<uint64_t> HistogramCount(const prometheus::Collectable& c, const std::string& name,
                                       const prometheus::Labels& labels) {
  auto m = Find(c, name, labels);
  if (!m) return std::nullopt;
  return m->histogram.sample_count;
}

std::optional<double> HistogramSum(const prometheus::Collectable& c, const std::string& name,
                                   const prometheus::Labels& labels) {
  auto m = Find(c, name, labels);
  if (!m) return std::nullopt;
  return m->histogram.sample_sum;
}

}  // namespace kcau::metrics
