// Tests read metrics back as a scrape would: from a Collectable's Collect(), by family name
// and exact label set. Test-only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <prometheus/collectable.h>
#include <prometheus/labels.h>

namespace kcau::metrics {

// A counter's or gauge's value; nullopt when that series does not exist.
std::optional<double> SampleValue(const prometheus::Collectable& c, const std::string& name,
                                  const prometheus::Labels& labels = {});
// A histogram's sample count; nullopt when that series does not exist.
std::optional<uint64_t> HistogramCount(const prometheus::Collectable& c, const std::string& name,
                                       const prometheus::Labels& labels = {});
// A histogram's sum of observations; nullopt when that series does not exist.
std::optional<double> HistogramSum(const prometheus::Collectable& c, const std::string& name,
                                   const prometheus::Labels& labels = {});

}  // namespace kcau::metrics
