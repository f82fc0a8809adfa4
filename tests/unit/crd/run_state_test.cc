// IsEnded over decoded runs and over a status with its generation: both forms must give the
// same answer, since the controller asks one (through RunPhases) and the reconciler another.
#include "crd/run_state.h"

#include <gtest/gtest.h>

#include <string>

#include "crd/updaterun_codec.h"

namespace kcau::crd {
namespace {

struct EndedCase {
  std::string name;
  std::string metadata;  // the object's metadata, JSON
  std::string status;    // the object's status, JSON; "" for none
  bool ended;
};

class IsEndedTest : public ::testing::TestWithParam<EndedCase> {};

web::json::value ObjectOf(const EndedCase& c) {
  std::string text = R"({"apiVersion":"kcau.io/v1alpha1","kind":"UpdateRun","metadata":)" +
                     c.metadata + R"(,"spec":{})";
  if (!c.status.empty()) text += R"(,"status":)" + c.status;
  return web::json::value::parse(text + "}");
}

TEST_P(IsEndedTest, DecodedAndStatusFormsAgree) {
  const EndedCase& c = GetParam();
  auto run = DecodeUpdateRun(ObjectOf(c));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(IsEnded(*run), c.ended);
  EXPECT_EQ(IsEnded(run->status, run->generation), c.ended);
}

INSTANTIATE_TEST_SUITE_P(
    Phases, IsEndedTest,
    ::testing::Values(
        EndedCase{"NoStatus", R"({"name":"r","generation":1})", "", false},
        EndedCase{"Pending", R"({"name":"r","generation":1})",
                  R"({"phase":"Pending","observedGeneration":1})", false},
        EndedCase{"Running", R"({"name":"r","generation":1})",
                  R"({"phase":"Running","observedGeneration":1})", false},
        EndedCase{"Succeeded", R"({"name":"r","generation":2})",
                  R"({"phase":"Succeeded","observedGeneration":2})", true},
        EndedCase{"Failed", R"({"name":"r","generation":1})",
                  R"({"phase":"Failed","observedGeneration":1})", true},
        // Edited after its end: not ended for the new generation until a pass says so.
        EndedCase{"SucceededThenEdited", R"({"name":"r","generation":3})",
                  R"({"phase":"Succeeded","observedGeneration":2})", false},
        EndedCase{"FailedThenEdited", R"({"name":"r","generation":2})",
                  R"({"phase":"Failed","observedGeneration":1})", false},
        // Deletion changes nothing: an ended run being deleted is still ended, a running one
        // still running (its cancellation is still to come).
        EndedCase{"SucceededAndDeleting",
                  R"({"name":"r","generation":1,"deletionTimestamp":"2027-01-01T00:00:00Z",)"
                  R"("finalizers":["kcau.io/run-cleanup"]})",
                  R"({"phase":"Succeeded","observedGeneration":1})", true},
        EndedCase{"RunningAndDeleting",
                  R"({"name":"r","generation":1,"deletionTimestamp":"2027-01-01T00:00:00Z",)"
                  R"("finalizers":["kcau.io/run-cleanup"]})",
                  R"({"phase":"Running","observedGeneration":1})", false}),
    [](const ::testing::TestParamInfo<EndedCase>& info) { return info.param.name; });

TEST(IsEndedPhaseTest, OnlySucceededAndFailed) {
  EXPECT_FALSE(IsEndedPhase(RunPhase::kPending));
  EXPECT_FALSE(IsEndedPhase(RunPhase::kRunning));
  EXPECT_TRUE(IsEndedPhase(RunPhase::kSucceeded));
  EXPECT_TRUE(IsEndedPhase(RunPhase::kFailed));
}

}  // namespace
}  // namespace kcau::crd
