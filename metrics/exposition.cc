#include "metrics/exposition.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace kcau::metrics {

namespace {

std::string EscapeHelp(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

const char* TypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

std::string Labels(const std::vector<std::string>& names, const LabelValues& values,
                   const std::string& extra_name = "", const std::string& extra_value = "") {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    pairs.emplace_back(names[i], values[i]);
  }
  std::sort(pairs.begin(), pairs.end());
  if (!extra_name.empty()) pairs.emplace_back(extra_name, extra_value);  // "le" goes last
  if (pairs.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i > 0) out += ",";
    out += pairs[i].first + "=\"" + EscapeLabelValue(pairs[i].second) + "\"";
  }
  return out + "}";
}

}  // namespace

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.0f", value);
    return buf;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", value);
  return buf;
}

std::string RenderText(const Registry& registry) {
  std::vector<FamilySnapshot> families = registry.Snapshot();
  std::sort(families.begin(), families.end(),
            [](const FamilySnapshot& a, const FamilySnapshot& b) { return a.name < b.name; });
  std::ostringstream out;
  for (const auto& f : families) {
    out << "# HELP " << f.name << " " << EscapeHelp(f.help) << "\n";
    out << "# TYPE " << f.name << " " << TypeName(f.type) << "\n";
    if (f.type != MetricType::kHistogram) {
      for (const auto& [labels, value] : f.values) {
        out << f.name << Labels(f.label_names, labels) << " " << FormatValue(value) << "\n";
      }
      continue;
    }
    for (const auto& [labels, h] : f.histograms) {
      double cumulative = 0;
      for (size_t i = 0; i < f.buckets.size(); ++i) {
        cumulative += i < h.bucket_counts.size() ? h.bucket_counts[i] : 0;
        out << f.name << "_bucket" << Labels(f.label_names, labels, "le", FormatValue(f.buckets[i]))
            << " " << FormatValue(cumulative) << "\n";
      }
      out << f.name << "_bucket" << Labels(f.label_names, labels, "le", "+Inf") << " "
          << FormatValue(static_cast<double>(h.count)) << "\n";
      out << f.name << "_sum" << Labels(f.label_names, labels) << " " << FormatValue(h.sum) << "\n";
      out << f.name << "_count" << Labels(f.label_names, labels) << " "
          << FormatValue(static_cast<double>(h.count)) << "\n";
    }
  }
  return out.str();
}

}  // namespace kcau::metrics
