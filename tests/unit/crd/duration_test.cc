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

// Values that do not fit, or are beyond any sane timer, are refused rather than wrapped
// around: "99999999999999999999h" once became a negative stopAfter that ended a run at once.
TEST(DurationTest, OutOfRangeValuesAreRefused) {
  struct Case {
    std::string text;
    std::string why;
  };
  const std::string kTooLong = "longer than the maximum of 10 years (87600h)";
  for (const Case& c : {
           Case{"99999999999999999999h", kTooLong},
           Case{"9223372036854775807ms", kTooLong},
           Case{"87600h1ms", kTooLong},
           Case{"3651.00:00:00", kTooLong},
           Case{"99999999999999999999.00:00:00", kTooLong},
           Case{std::string(400, '9') + "h", kTooLong},  // strtod's +inf
           Case{"1.2.3h", "\"1.2.3\" is not a number"},
           Case{".h", "\".\" is not a number"},
           Case{"1e400h", "unknown unit \"e\""},
           Case{"inf", "expected a number at \"inf\""},
           Case{"nan", "expected a number at \"nan\""},
           Case{"+5m", "expected a number at \"+5m\""},
           Case{"x.01:00:00", "days must be a whole number"},
           Case{"1.5.01:00:00", "\"5.01\" is not a number"},
           Case{"00:00:1.2.3", "\"1.2.3\" is not a number"},
       }) {
    SCOPED_TRACE(c.text);
    auto d = ParseDuration(c.text);
    ASSERT_FALSE(d.ok()) << d->count();
    EXPECT_NE(d.status().message().find(c.why), std::string::npos) << d.status().message();
  }
}

TEST(DurationTest, TheMaximumItselfIsAccepted) {
  for (const std::string text : {"87600h", "3650.00:00:00", "5256000m"}) {
    SCOPED_TRACE(text);
    auto d = ParseDuration(text);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(*d, kMaxDuration);
  }
}

TEST(DurationTest, LongTextIsNotCopiedWhole) {
  auto d = ParseDuration(std::string(1 << 20, '1') + "x");
  ASSERT_FALSE(d.ok());
  EXPECT_LT(d.status().message().size(), 512u);
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
