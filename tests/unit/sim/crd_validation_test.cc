#include "sim/crd_validation.h"

#include <gtest/gtest.h>

#include "crd/updaterun_codec.h"
#include "crd/yaml_json.h"

namespace kcau::sim {
namespace {

using kube::Json;
namespace res = kube::resources;

class CrdValidationTest : public ::testing::Test {
 protected:
  CrdValidationTest() : clock_(WallClock::from_time_t(1800000000)), store_(clock_) {
    EXPECT_TRUE(InstallCrdValidation(store_, BuiltinUpdateRunCrdYaml()).ok());
  }
  Status CreateRun(const std::string& spec_yaml) {
    auto doc = crd::YamlToJson(
        "apiVersion: kcau.io/v1alpha1\nkind: UpdateRun\nmetadata:\n"
        "  name: r\nspec:\n" +
        spec_yaml);
    EXPECT_TRUE(doc.ok()) << doc.status().ToString();
    auto created = store_.Create(res::UpdateRuns(), "", *doc);
    return created.ok() ? Status::Ok() : created.status();
  }
  FakeClock clock_;
  ObjectStore store_;
};

TEST_F(CrdValidationTest, ValidRunsAreAccepted) {
  EXPECT_TRUE(CreateRun("  plugins: [{name: packages}]\n  maxUnavailable: 25%\n"
                        "  warnAfter: 01:30:00\n  stopAfter: 2h\n")
                  .ok());
}

TEST_F(CrdValidationTest, BadRunsAreRefusedNamingEachField) {
  struct Case {
    std::string spec;
    std::string want;
  };
  for (const Case& c : {
           Case{"  plugins: [{name: windows-update}]\n",
                "spec.plugins[0].name: Unsupported value: \"windows-update\": supported values: "
                "\"reboot-required\", \"packages\", \"script\""},
           Case{"  plugins: [{name: packages}]\n  maxFailedNodes: -1\n",
                "spec.maxFailedNodes: Invalid value: -1: spec.maxFailedNodes in body should be "
                "greater than or equal to 0"},
           Case{"  plugins: [{name: packages}]\n  maxRetriesPerNode: 65\n",
                "spec.maxRetriesPerNode in body should be less than or equal to 64"},
           Case{"  plugins: [{name: packages}]\n  drain: Sometimes\n",
                "spec.drain: Unsupported value: \"Sometimes\""},
           Case{"  plugins: [{name: packages}]\n  warnAfter: soon\n",
                "spec.warnAfter: Invalid value: \"soon\""},
           Case{"  plugins: [{name: packages}]\n  maxRetriesPerNode: three\n",
                "spec.maxRetriesPerNode: Invalid value: \"string\": spec.maxRetriesPerNode in "
                "body must be of type integer"},
           Case{"  plugins: [{name: packages}]\n  clusterName: x\n",
                "spec.clusterName: unknown field \"spec.clusterName\""},
           Case{"  maxFailedNodes: 1\n", "spec.plugins: Required value"},
       }) {
    SCOPED_TRACE(c.spec);
    Status s = CreateRun(c.spec);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("UpdateRun.kcau.io \"r\" is invalid: "), std::string::npos);
    EXPECT_NE(s.message().find(c.want), std::string::npos) << s.message();
  }
  EXPECT_FALSE(store_.Get(res::UpdateRuns(), {"", "r"}).ok()) << "nothing was stored";
}

// The controller's status must pass the schema it ships, or the API server refuses it.
TEST_F(CrdValidationTest, TheControllersStatusPassesTheSchema) {
  ASSERT_TRUE(CreateRun("  plugins: [{name: packages}]\n").ok());
  crd::UpdateRunStatus st;
  st.phase = crd::RunPhase::kRunning;
  st.observed_generation = 1;
  const TimePoint t = clock_.Now();
  st.conditions.push_back({"Progressing", "True", "Started", "go", t, 1});
  st.nodes_total = 1;
  st.start_time = t;
  crd::NodeResult r;
  r.name = "n1";
  r.phase = crd::NodePhase::kRebooting;
  r.attempts = 1;
  r.updates_installed = 2;
  r.rebooted = true;
  r.boot_id_before = "b";
  r.was_unschedulable = true;
  r.request_token = "t";
  r.message = "m";
  r.start_time = r.phase_time = r.finish_time = t;
  st.nodes = {r};
  Json run = *store_.Get(res::UpdateRuns(), {"", "r"});
  run["status"] = crd::EncodeUpdateRunStatus(st);
  auto written = store_.Update(res::UpdateRuns(), {"", "r"}, run, true);
  EXPECT_TRUE(written.ok()) << written.status().ToString();
}

}  // namespace
}  // namespace kcau::sim
