// RunPhases: each run's phase as the reconciler last read or wrote it, which the controller
// wakes and counts runs by.
#include "reconcilers/run_phases.h"

#include <gtest/gtest.h>

namespace kcau::reconcilers {
namespace {

crd::UpdateRunStatus StatusOf(crd::RunPhase phase, int64_t observed_generation) {
  crd::UpdateRunStatus status;
  status.phase = phase;
  status.observed_generation = observed_generation;
  return status;
}

TEST(RunPhasesTest, EndedOnlyForTheGenerationItEndedAt) {
  RunPhases phases;
  EXPECT_FALSE(phases.Ended("r"));  // never looked at
  phases.Record("r", 1, StatusOf(crd::RunPhase::kRunning, 1));
  EXPECT_FALSE(phases.Ended("r"));
  phases.Record("r", 1, StatusOf(crd::RunPhase::kSucceeded, 1));
  EXPECT_TRUE(phases.Ended("r"));
  // Edited after its end: not ended until a pass acknowledges the new spec.
  phases.Record("r", 2, StatusOf(crd::RunPhase::kSucceeded, 1));
  EXPECT_FALSE(phases.Ended("r"));
  phases.RecordEnded("r", crd::RunPhase::kFailed);
  EXPECT_TRUE(phases.Ended("r"));
  phases.Forget("r");
  EXPECT_FALSE(phases.Ended("r"));
}

TEST(RunPhasesTest, CountsTheNamedRunsAndUnseenOnesArePending) {
  RunPhases phases;
  phases.Record("a", 1, StatusOf(crd::RunPhase::kRunning, 1));
  phases.Record("b", 1, StatusOf(crd::RunPhase::kRunning, 1));
  phases.Record("c", 1, StatusOf(crd::RunPhase::kFailed, 1));
  phases.Record("gone-from-the-cache", 1, StatusOf(crd::RunPhase::kRunning, 1));
  EXPECT_EQ(phases.CountByPhase({"a", "b", "c", "new"}),
            (std::map<std::string, int>{{"Failed", 1}, {"Pending", 1}, {"Running", 2}}));
}

}  // namespace
}  // namespace kcau::reconcilers
