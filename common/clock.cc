#include "common/clock.h"

#include <cstdio>
#include <ctime>
#include <thread>

namespace kcau {

void RealClock::Sleep(Duration d) {
  if (d > Duration::zero()) std::this_thread::sleep_for(d);
}

std::string FormatRfc3339(TimePoint t) {
  std::time_t secs = WallClock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

// The unsigned decimal of exactly `width` digits at text[at], or -1.
int Digits(const std::string& text, size_t at, size_t width) {
  if (at + width > text.size()) return -1;
  int value = 0;
  for (size_t i = at; i < at + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

// Read for every timestamp of every node of a run on every pass (tens of thousands a pass at
// 5,000 nodes): plain digit reading and calendar arithmetic, no sscanf or timegm.
std::optional<TimePoint> ParseRfc3339(const std::string& text) {
  // YYYY-MM-DDTHH:MM:SS, then an optional fraction, then Z.
  const int year = Digits(text, 0, 4);
  const int month = Digits(text, 5, 2);
  const int day = Digits(text, 8, 2);
  const int hour = Digits(text, 11, 2);
  const int minute = Digits(text, 14, 2);
  const int second = Digits(text, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || text[4] != '-' ||
      text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  // Fractional seconds are accepted and dropped: status timestamps have second precision.
  size_t i = 19;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  }
  if (i + 1 != text.size() || (text[i] != 'Z' && text[i] != 'z')) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  // A leap second (60) is taken as the next second's start, as timegm did.
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  const auto since_epoch = std::chrono::sys_days(date).time_since_epoch() +
                           std::chrono::hours(hour) + std::chrono::minutes(minute) +
                           std::chrono::seconds(second);
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(since_epoch));
}

}  // namespace kcau
