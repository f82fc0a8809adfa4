// Condition bookkeeping: the typed status is written as the API spells it, and
// lastTransitionTime moves only when the status flips.
#include "reconcilers/conditions.h"

#include <gtest/gtest.h>

namespace kcau::reconcilers {
namespace {

const TimePoint kT0 = WallClock::from_time_t(1800000000);
const TimePoint kT1 = kT0 + std::chrono::minutes(1);

TEST(ConditionsTest, StatusIsWrittenAsTheApiSpellsIt) {
  const std::pair<ConditionStatus, std::string> cases[] = {{ConditionStatus::kTrue, "True"},
                                                           {ConditionStatus::kFalse, "False"},
                                                           {ConditionStatus::kUnknown, "Unknown"}};
  for (const auto& [status, word] : cases) {
    std::vector<crd::Condition> conditions;
    EXPECT_TRUE(SetCondition(conditions, "Progressing", status, "R", "m", 1, kT0));
    ASSERT_EQ(conditions.size(), 1u);
    EXPECT_EQ(conditions[0].status, word);
    EXPECT_EQ(ConditionStatusName(status), word);
  }
}

TEST(ConditionsTest, TransitionTimeMovesOnlyOnAFlip) {
  std::vector<crd::Condition> conditions;
  SetCondition(conditions, "Succeeded", ConditionStatus::kFalse, "InProgress", "a", 1, kT0);
  EXPECT_FALSE(
      SetCondition(conditions, "Succeeded", ConditionStatus::kFalse, "Still", "b", 2, kT1));
  EXPECT_EQ(conditions[0].last_transition_time, kT0);
  EXPECT_EQ(conditions[0].reason, "Still");
  EXPECT_EQ(conditions[0].observed_generation, 2);
  EXPECT_TRUE(SetCondition(conditions, "Succeeded", ConditionStatus::kTrue, "Done", "c", 2, kT1));
  EXPECT_EQ(conditions[0].last_transition_time, kT1);
  EXPECT_EQ(conditions[0].status, "True");
}

}  // namespace
}  // namespace kcau::reconcilers
