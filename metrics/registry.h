// An injectable metrics registry: counters, gauges and histograms with labels, read back by
// tests and rendered by metrics/exposition.h. prometheus-cpp is not packaged on Debian 12, so
// kcau keeps its own: small, and checked against the real promtool.
//
// Thread-safety: every method is safe from any thread; one mutex per registry guards all
// families and values (metrics are updated a few times per reconcile, never on a hot path).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kcau::metrics {

enum class MetricType { kCounter, kGauge, kHistogram };

using LabelValues = std::vector<std::string>;

struct HistogramValue {
  std::vector<double> bucket_counts;  // per bucket, not cumulative
  double sum = 0;
  uint64_t count = 0;
};

// A snapshot of one family, for rendering and for tests.
struct FamilySnapshot {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<std::string> label_names;
  std::vector<double> buckets;                       // histograms only
  std::map<LabelValues, double> values;              // counters and gauges
  std::map<LabelValues, HistogramValue> histograms;  // histograms
};

class Registry;

// A family handle: cheap to copy, valid as long as its Registry.
class Family {
 public:
  Family() = default;
  // Label values must match the family's label names in number: a mismatch is a programmer
  // error and aborts in debug builds; release builds drop the sample.
  void Inc(const LabelValues& labels = {}, double by = 1) const;
  void Set(const LabelValues& labels, double value) const;
  void Observe(const LabelValues& labels, double value) const;
  // Removes every label set: for gauges refilled from scratch (stale sets must vanish).
  void Clear() const;
  // Removes the label sets whose first label value is `first`.
  void ClearWhereFirstLabelIs(const std::string& first) const;

 private:
  friend class Registry;
  Family(Registry* registry, size_t index) : registry_(registry), index_(index) {}
  Registry* registry_ = nullptr;
  size_t index_ = 0;
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // A counter's name must end in _total (the exposition's convention, promtool lints it).
  Family Counter(const std::string& name, const std::string& help,
                 std::vector<std::string> label_names = {});
  Family Gauge(const std::string& name, const std::string& help,
               std::vector<std::string> label_names = {});
  Family Histogram(const std::string& name, const std::string& help,
                   std::vector<std::string> label_names, std::vector<double> buckets);

  // The current value of a counter or gauge sample; 0 when absent.
  double Value(const std::string& name, const LabelValues& labels = {}) const;
  std::vector<FamilySnapshot> Snapshot() const;

 private:
  friend class Family;
  Family Register(FamilySnapshot family);
  FamilySnapshot* At(size_t index);

  mutable std::mutex mu_;
  std::vector<FamilySnapshot> families_;  // guarded by mu_
};

}  // namespace kcau::metrics
