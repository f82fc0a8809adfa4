// Reconciling, Ready and Stalled from the run's phase and its own conditions, every condition
// at the generation the status describes.
#include "reconcilers/kstatus_conditions.h"

#include <gtest/gtest.h>

#include "reconcilers/conditions.h"

namespace kcau::reconcilers {
namespace {

const TimePoint kNow = WallClock::from_time_t(1800000000);

struct Case {
  const char* name;
  crd::RunPhase phase;
  const char* own_type;  // the run's own condition carrying the story, or nullptr
  const char* own_reason;
  const char* reconciling;
  const char* ready;
  const char* stalled;
  const char* reason;  // of all three
};

TEST(KstatusConditionsTest, FollowThePhaseAndCarryTheRunsReason) {
  const Case cases[] = {
      {"new", crd::RunPhase::kPending, nullptr, nullptr, "True", "False", "False", "Pending"},
      {"waiting for the lock", crd::RunPhase::kPending, crd::kConditionProgressing, "Locked",
       "True", "False", "False", "Locked"},
      {"updating", crd::RunPhase::kRunning, crd::kConditionProgressing, "Started", "True", "False",
       "False", "Started"},
      {"succeeded", crd::RunPhase::kSucceeded, crd::kConditionSucceeded, "Completed", "False",
       "True", "False", "Completed"},
      {"failed", crd::RunPhase::kFailed, crd::kConditionFailed, "TooManyFailedNodes", "False",
       "False", "True", "TooManyFailedNodes"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    crd::UpdateRunStatus status;
    status.phase = c.phase;
    if (c.own_type != nullptr) {
      SetCondition(status.conditions, c.own_type, ConditionStatus::kTrue, c.own_reason,
                   "what happened", 1, kNow);
    }
    SetKstatusConditions(status, 1, kNow);
    for (auto [type, want] :
         {std::make_pair(kConditionReconciling, c.reconciling),
          std::make_pair(kConditionReady, c.ready), std::make_pair(kConditionStalled, c.stalled)}) {
      const crd::Condition* got = FindCondition(status.conditions, type);
      ASSERT_NE(got, nullptr) << type;
      EXPECT_EQ(got->status, want) << type;
      EXPECT_EQ(got->reason, c.reason) << type;
      EXPECT_FALSE(got->message.empty()) << type;
    }
  }
}

// An ended run edited later: the status describes the new generation, so must every
// condition, or `kubectl wait --for=condition=...` would wait for ever.
TEST(KstatusConditionsTest, EveryConditionMovesToTheObservedGeneration) {
  crd::UpdateRunStatus status;
  status.phase = crd::RunPhase::kSucceeded;
  SetCondition(status.conditions, crd::kConditionSucceeded, ConditionStatus::kTrue, "Completed",
               "all 3 nodes updated", 1, kNow);
  SetCondition(status.conditions, crd::kConditionWarning, ConditionStatus::kFalse, "InTime", "", 1,
               kNow);
  SetKstatusConditions(status, 4, kNow);
  for (const auto& c : status.conditions) EXPECT_EQ(c.observed_generation, 4) << c.type;
  EXPECT_EQ(FindCondition(status.conditions, kConditionReady)->message, "all 3 nodes updated");
}

}  // namespace
}  // namespace kcau::reconcilers
