// IsEnded over decoded runs, over runs as the API server stores them and over the summaries
// the controller caches: every form must give the same answer, since the controller asks one
// and the reconciler another.
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

TEST_P(IsEndedTest, DecodedAndStoredFormsAgree) {
  const EndedCase& c = GetParam();
  const web::json::value object = ObjectOf(c);
  EXPECT_EQ(IsEnded(object), c.ended);
  auto run = DecodeUpdateRun(object);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(IsEnded(*run), c.ended);
  // What the controller's run informer caches reads the same.
  const web::json::value summary = RunSummary(object);
  EXPECT_EQ(IsEnded(summary), c.ended);
  EXPECT_EQ(summary.at("metadata").at("name"), object.at("metadata").at("name"));
  EXPECT_FALSE(summary.has_field("spec"));
  if (object.has_field("status")) {
    EXPECT_EQ(summary.at("status").at("phase"), object.at("status").at("phase"));
  }
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

// The stored form reads three fields; without one of them it cannot say the run ended.
TEST(IsEndedStoredTest, MissingOrUnknownFieldsAreNotEnded) {
  for (
      const char* text : {
          R"({"metadata":{"name":"r"},"status":{"phase":"Succeeded","observedGeneration":1}})",
          R"({"metadata":{"name":"r","generation":1},"status":{"phase":"Succeeded"}})",
          R"({"metadata":{"name":"r","generation":1},"status":{"observedGeneration":1}})",
          R"({"metadata":{"name":"r","generation":1},"status":{"phase":"Done","observedGeneration":1}})",
          R"({"status":{"phase":"Failed","observedGeneration":1}})",
      }) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(IsEnded(web::json::value::parse(text)));
  }
}

TEST(IsEndedPhaseTest, OnlySucceededAndFailed) {
  EXPECT_FALSE(IsEndedPhase(RunPhase::kPending));
  EXPECT_FALSE(IsEndedPhase(RunPhase::kRunning));
  EXPECT_TRUE(IsEndedPhase(RunPhase::kSucceeded));
  EXPECT_TRUE(IsEndedPhase(RunPhase::kFailed));
}

}  // namespace
}  // namespace kcau::crd
