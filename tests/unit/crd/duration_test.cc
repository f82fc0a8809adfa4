#include "crd/duration.h"

#include <gtest/gtest.h>

namespace kcau::crd {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(DurationTest, GoAndTimeSpanForms) {
  struct Case {
    std::string text;
    Duration want;
  };
  for (const Case& c :
       {Case{"1h30m", minutes(90)}, Case{"90s", seconds(90)}, Case{"1.5h", minutes(90)},
        Case{"500ms", milliseconds(500)}, Case{"2h45m10s", hours(2) + minutes(45) + seconds(10)},
        Case{"01:30:00", minutes(90)}, Case{"1.02:00:00", hours(26)},
        Case{"00:00:30.5", milliseconds(30500)}, Case{"00:05", minutes(5)}}) {
    SCOPED_TRACE(c.text);
    auto d = ParseDuration(c.text);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(*d, c.want);
  }
}

TEST(DurationTest, GarbageIsRefusedWithTheText) {
  for (const std::string bad : {"", "-5m", "5", "5x", "h", "1:2:3:4", "00:61:00", "ab:cd"}) {
    SCOPED_TRACE(bad);
    auto d = ParseDuration(bad);
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.status().message().find("\"" + bad + "\""), std::string::npos);
  }
}

TEST(DurationTest, FormatsInGoForm) {
  EXPECT_EQ(FormatDuration(minutes(90)), "1h30m0s");
  EXPECT_EQ(FormatDuration(seconds(45)), "45s");
  EXPECT_EQ(FormatDuration(milliseconds(250)), "250ms");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1.5s");
  EXPECT_EQ(FormatDuration(Duration::zero()), "0s");
}

}  // namespace
}  // namespace kcau::crd
