// The Prometheus text exposition (version 0.0.4) of what collectables hold, written by
// prometheus-cpp's TextSerializer: what /metrics serves, and what tests read back.
// Thread-safety: collects through the collectables, which are safe from any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <prometheus/collectable.h>

namespace kcau::metrics {

inline constexpr char kTextContentType[] = "text/plain; version=0.0.4; charset=utf-8";

using Collectables = std::vector<std::shared_ptr<const prometheus::Collectable>>;

std::string MetricsText(const Collectables& collectables);
std::string MetricsText(const prometheus::Collectable& collectable);

}  // namespace kcau::metrics
