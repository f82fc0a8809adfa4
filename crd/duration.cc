#include "crd/duration.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "crd/k8s_names.h"

namespace kcau::crd {

namespace {

Status Bad(const std::string& text, const std::string& why) {
  return InvalidArgumentError("invalid duration " + Quoted(text) + ": " + why +
                              " (use Go form like 1h30m or TimeSpan form like 01:30:00)");
}

// A decimal number: digits with at most one '.', at least one digit. Exponents, signs,
// "inf" and "nan" are not numbers here.
bool DecimalNumber(const std::string& s, bool fraction_allowed) {
  bool digit = false;
  bool dot = false;
  for (char c : s) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digit = true;
    } else if (c == '.' && fraction_allowed && !dot) {
      dot = true;
    } else {
      return false;
    }
  }
  return digit;
}

// Milliseconds to a Duration, refusing what does not fit or exceeds kMaxDuration. Doubles
// hold every whole millisecond up to kMaxDuration exactly; `ms` may be +inf for absurdly
// long digit strings, which the comparison refuses too.
StatusOr<Duration> Checked(const std::string& text, double ms) {
  if (!(ms <= static_cast<double>(kMaxDuration.count()))) {
    return Bad(text, std::string("longer than the maximum of ") + kMaxDurationText);
  }
  return Duration(static_cast<int64_t>(std::llround(ms)));
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
    const std::string number = text.substr(start, i - start);
    if (start == i) return Bad(text, "expected a number at " + Quoted(text.substr(start)));
    if (!DecimalNumber(number, true)) return Bad(text, Quoted(number) + " is not a number");
    const double value = std::strtod(number.c_str(), nullptr);
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
      return Bad(text, "missing unit after " + Quoted(number));
    } else {
      return Bad(text, "unknown unit " + Quoted(unit) + " (h, m, s, ms)");
    }
    total_ms += value * ms_per_unit;
    // Checked per term, so that a sum of huge terms never reaches inf - inf or the like.
    if (auto ok = Checked(text, total_ms); !ok.ok()) return ok.status();
  }
  return Checked(text, total_ms);
}

// [d.]hh:mm[:ss[.fff]]
StatusOr<Duration> ParseTimeSpan(const std::string& text) {
  std::string rest = text;
  double days = 0;
  const size_t colon = rest.find(':');
  const size_t dot = rest.find('.');
  if (dot != std::string::npos && dot < colon) {
    const std::string day_text = rest.substr(0, dot);
    if (!DecimalNumber(day_text, false)) return Bad(text, "days must be a whole number");
    days = std::strtod(day_text.c_str(), nullptr);
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
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) return Bad(text, "empty field");
    for (char c : parts[i]) {
      if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') {
        return Bad(text, "unexpected character '" + std::string(1, c) + "'");
      }
    }
    // Only the seconds may have a fraction.
    if (!DecimalNumber(parts[i], i == 2)) return Bad(text, Quoted(parts[i]) + " is not a number");
  }
  const double hours = std::strtod(parts[0].c_str(), nullptr);
  const double minutes = std::strtod(parts[1].c_str(), nullptr);
  const double seconds = parts.size() == 3 ? std::strtod(parts[2].c_str(), nullptr) : 0;
  if (minutes >= 60 || seconds >= 60) return Bad(text, "minutes and seconds must be below 60");
  return Checked(text, ((days * 24 + hours) * 3600 + minutes * 60 + seconds) * 1000);
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
