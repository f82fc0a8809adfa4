#include "crd/duration.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace kcau::crd {

namespace {

Status Bad(const std::string& text, const std::string& why) {
  return InvalidArgumentError("invalid duration \"" + text + "\": " + why +
                              " (use Go form like 1h30m or TimeSpan form like 01:30:00)");
}

StatusOr<Duration> ParseGo(const std::string& text) {
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
      ++i;
    }
    if (start == i) return Bad(text, "expected a number at \"" + text.substr(start) + "\"");
    const double value = std::atof(text.substr(start, i - start).c_str());
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    const std::string unit = text.substr(unit_start, i - unit_start);
    double ms_per_unit = 0;
    if (unit == "h") {
      ms_per_unit = 3600e3;
    } else if (unit == "m") {
      ms_per_unit = 60e3;
    } else if (unit == "s") {
      ms_per_unit = 1e3;
    } else if (unit == "ms") {
      ms_per_unit = 1;
    } else if (unit.empty()) {
      return Bad(text, "missing unit after " + text.substr(start, i - start));
    } else {
      return Bad(text, "unknown unit \"" + unit + "\" (h, m, s, ms)");
    }
    total_ms += value * ms_per_unit;
  }
  return Duration(static_cast<int64_t>(std::llround(total_ms)));
}

// [d.]hh:mm[:ss[.fff]]
StatusOr<Duration> ParseTimeSpan(const std::string& text) {
  std::string rest = text;
  double days = 0;
  const size_t colon = rest.find(':');
  const size_t dot = rest.find('.');
  if (dot != std::string::npos && dot < colon) {
    days = std::atof(rest.substr(0, dot).c_str());
    rest = rest.substr(dot + 1);
  }
  std::vector<std::string> parts;
  size_t pos = 0;
  while (true) {
    size_t next = rest.find(':', pos);
    parts.push_back(rest.substr(pos, next - pos));
    if (next == std::string::npos) break;
    pos = next + 1;
  }
  if (parts.size() < 2 || parts.size() > 3) return Bad(text, "expected hh:mm[:ss]");
  for (const auto& p : parts) {
    if (p.empty()) return Bad(text, "empty field");
    for (char c : p) {
      if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') {
        return Bad(text, "unexpected character '" + std::string(1, c) + "'");
      }
    }
  }
  const double hours = std::atof(parts[0].c_str());
  const double minutes = std::atof(parts[1].c_str());
  const double seconds = parts.size() == 3 ? std::atof(parts[2].c_str()) : 0;
  if (minutes >= 60 || seconds >= 60) return Bad(text, "minutes and seconds must be below 60");
  const double ms = ((days * 24 + hours) * 3600 + minutes * 60 + seconds) * 1000;
  return Duration(static_cast<int64_t>(std::llround(ms)));
}

}  // namespace

StatusOr<Duration> ParseDuration(const std::string& text) {
  if (text.empty()) return Bad(text, "empty");
  if (text[0] == '-') return Bad(text, "must not be negative");
  if (text.find(':') != std::string::npos) return ParseTimeSpan(text);
  return ParseGo(text);
}

std::string FormatDuration(Duration d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  if (ms < 1000) return std::to_string(ms) + "ms";
  std::string out;
  const int64_t h = ms / 3600000;
  ms %= 3600000;
  const int64_t m = ms / 60000;
  ms %= 60000;
  if (h > 0) out += std::to_string(h) + "h";
  if (h > 0 || m > 0) out += std::to_string(m) + "m";
  const int64_t s = ms / 1000;
  const int64_t frac = ms % 1000;
  out += std::to_string(s);
  if (frac > 0) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), ".%03lld", static_cast<long long>(frac));
    std::string f = buf;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out + "s";
}

}  // namespace kcau::crd
