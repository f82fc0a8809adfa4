#include "metrics/registry.h"

#include <algorithm>
#include <cassert>
#include <stdexcept>

namespace kcau::metrics {

namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Family Registry::Register(FamilySnapshot family) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < families_.size(); ++i) {
    // Registering a name twice hands back the same family: idempotent wiring.
    if (families_[i].name == family.name) return Family(this, i);
  }
  families_.push_back(std::move(family));
  return Family(this, families_.size() - 1);
}

FamilySnapshot* Registry::At(size_t index) { return &families_.at(index); }

Family Registry::Counter(const std::string& name, const std::string& help,
                         std::vector<std::string> label_names) {
  if (!EndsWith(name, "_total")) {
    throw std::invalid_argument("counter " + name + " must end in _total");
  }
  return Register({name, help, MetricType::kCounter, std::move(label_names), {}, {}, {}});
}

Family Registry::Gauge(const std::string& name, const std::string& help,
                       std::vector<std::string> label_names) {
  return Register({name, help, MetricType::kGauge, std::move(label_names), {}, {}, {}});
}

Family Registry::Histogram(const std::string& name, const std::string& help,
                           std::vector<std::string> label_names, std::vector<double> buckets) {
  std::sort(buckets.begin(), buckets.end());
  return Register(
      {name, help, MetricType::kHistogram, std::move(label_names), std::move(buckets), {}, {}});
}

double Registry::Value(const std::string& name, const LabelValues& labels) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& f : families_) {
    if (f.name != name) continue;
    auto it = f.values.find(labels);
    return it == f.values.end() ? 0 : it->second;
  }
  return 0;
}

std::vector<FamilySnapshot> Registry::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return families_;
}

void Family::Inc(const LabelValues& labels, double by) const {
  if (registry_ == nullptr) return;
  std::lock_guard<std::mutex> lock(registry_->mu_);
  FamilySnapshot* f = registry_->At(index_);
  assert(labels.size() == f->label_names.size());
  if (labels.size() != f->label_names.size()) return;
  f->values[labels] += by;
}

void Family::Set(const LabelValues& labels, double value) const {
  if (registry_ == nullptr) return;
  std::lock_guard<std::mutex> lock(registry_->mu_);
  FamilySnapshot* f = registry_->At(index_);
  assert(labels.size() == f->label_names.size());
  if (labels.size() != f->label_names.size()) return;
  f->values[labels] = value;
}

void Family::Observe(const LabelValues& labels, double value) const {
  if (registry_ == nullptr) return;
  std::lock_guard<std::mutex> lock(registry_->mu_);
  FamilySnapshot* f = registry_->At(index_);
  assert(labels.size() == f->label_names.size());
  if (labels.size() != f->label_names.size()) return;
  HistogramValue& h = f->histograms[labels];
  h.bucket_counts.resize(f->buckets.size(), 0);
  for (size_t i = 0; i < f->buckets.size(); ++i) {
    if (value <= f->buckets[i]) {
      h.bucket_counts[i] += 1;
      break;
    }
  }
  h.sum += value;
  h.count += 1;
}

void Family::Clear() const {
  if (registry_ == nullptr) return;
  std::lock_guard<std::mutex> lock(registry_->mu_);
  FamilySnapshot* f = registry_->At(index_);
  f->values.clear();
  f->histograms.clear();
}

void Family::ClearWhereFirstLabelIs(const std::string& first) const {
  if (registry_ == nullptr) return;
  std::lock_guard<std::mutex> lock(registry_->mu_);
  FamilySnapshot* f = registry_->At(index_);
  for (auto it = f->values.begin(); it != f->values.end();) {
    it = (!it->first.empty() && it->first[0] == first) ? f->values.erase(it) : std::next(it);
  }
}

}  // namespace kcau::metrics
