#include "common/clock.h"

#include <gtest/gtest.h>

namespace kcau {
namespace {

TEST(Rfc3339Test, RoundTrips) {
  TimePoint t = WallClock::from_time_t(1764064800);  // 2025-11-25T10:00:00Z
  EXPECT_EQ(FormatRfc3339(t), "2025-11-25T10:00:00Z");
  auto parsed = ParseRfc3339("2025-11-25T10:00:00Z");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, t);
}

TEST(Rfc3339Test, AcceptsFractionAndRejectsGarbage) {
  auto parsed = ParseRfc3339("2025-11-25T10:00:00.123456Z");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(FormatRfc3339(*parsed), "2025-11-25T10:00:00Z");
  EXPECT_FALSE(ParseRfc3339("yesterday").has_value());
  EXPECT_FALSE(ParseRfc3339("2025-11-25T10:00:00+02:00").has_value());
}

TEST(Rfc3339Test, ReadsTheCalendarAndRefusesWhatIsNotADate) {
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), WallClock::from_time_t(0));
  EXPECT_EQ(ParseRfc3339("2024-02-29T23:59:59Z"), WallClock::from_time_t(1709251199));
  EXPECT_EQ(ParseRfc3339("2026-12-02t08:09:27z"), WallClock::from_time_t(1796198967));
  EXPECT_EQ(ParseRfc3339("2016-12-31T23:59:60Z"), WallClock::from_time_t(1483228800));
  for (const char* bad : {"2025-02-29T00:00:00Z", "2025-13-01T00:00:00Z", "2025-11-25T24:00:00Z",
                          "2025-11-25T10:60:00Z", "2025-11-25T10:00:00", "2025-11-25T10:00:00Zz",
                          "2025-11-25 10:00:00Z", "2025-1-25T10:00:00Z", "+025-11-25T10:00:00Z",
                          "2025-11-25T10:00:00.Z5", ""}) {
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
  }
}

TEST(FakeClockTest, AdvancesOnlyWhenTold) {
  FakeClock clock(WallClock::from_time_t(1000));
  TimePoint before = clock.Now();
  clock.Advance(std::chrono::minutes(5));
  EXPECT_EQ(clock.Now() - before, std::chrono::minutes(5));
}

}  // namespace
}  // namespace kcau
