#include "metrics/metrics_text.h"

#include <sstream>

#include <prometheus/text_serializer.h>

namespace kcau::metrics {

std::string MetricsText(const Collectables& collectables) {
  std::vector<prometheus::MetricFamily> families;
  for (const auto& c : collectables) {
    if (c == nullptr) continue;
    auto collected = c->Collect();
    families.insert(families.end(), std::make_move_iterator(collected.begin()),
                    std::make_move_iterator(collected.end()));
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

std::string MetricsText(const prometheus::Collectable& collectable) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, collectable.Collect());
  return out.str();
}

}  // namespace kcau::metrics
