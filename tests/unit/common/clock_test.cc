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

TEST(FakeClockTest, AdvancesOnlyWhenTold) {
  FakeClock clock(WallClock::from_time_t(1000));
  TimePoint before = clock.Now();
  clock.Advance(std::chrono::minutes(5));
  EXPECT_EQ(clock.Now() - before, std::chrono::minutes(5));
}

}  // namespace
}  // namespace kcau
