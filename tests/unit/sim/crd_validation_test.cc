#include "sim/crd_validation.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

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

// Invoke-CauRun's default plug-in: a run naming none is admitted; the controller gives it
// "packages".
TEST_F(CrdValidationTest, RunWithoutPluginsIsAccepted) {
  Status s = CreateRun("  maxFailedNodes: 1\n");
  EXPECT_TRUE(s.ok()) << s.ToString();
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
           Case{"  preUpdateHook: {configMap: hooks}\n", "spec.preUpdateHook.key: Required value"},
           // Names and bounds the schema states (crd/updaterun-crd.yaml).
           Case{"  hookRunner: {serviceAccountName: ../../kube-system/admin}\n",
                "spec.hookRunner.serviceAccountName: Invalid value: \"../../kube-system/admin\": "
                "spec.hookRunner.serviceAccountName in body should match"},
           Case{"  hookRunner: {runAsUser: 2147483648}\n",
                "spec.hookRunner.runAsUser in body should be less than or equal to 2147483647"},
           Case{"  preUpdateHook: {configMap: hooks, key: ../pre.sh}\n",
                "spec.preUpdateHook.key: Invalid value: \"../pre.sh\""},
           Case{"  rebootTimeoutMinutes: 10081\n",
                "spec.rebootTimeoutMinutes in body should be less than or equal to 10080"},
           Case{"  nodeOrder: [Node_1]\n", "spec.nodeOrder[0]: Invalid value: \"Node_1\""},
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

// Any CRD applied to kcau-sim is served as the API server serves it: its kind, scope, names
// and status subresource, its objects checked against its schema.
std::string WidgetCrdYaml() {
  std::ifstream in(KCAU_SOURCE_DIR "/tests/testdata/crds/widget-crd.yaml");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_F(CrdValidationTest, AnAppliedCrdIsServedWithItsSchema) {
  auto crd_json = crd::YamlToJson(WidgetCrdYaml());
  ASSERT_TRUE(crd_json.ok());
  ASSERT_TRUE(ServeCrd(store_, *crd_json).ok());
  ASSERT_TRUE(ServeCrd(store_, *crd_json).ok());  // applied again: nothing changes
  EXPECT_EQ(store_.FindResource("example.com", "v1beta1", "widgets"), nullptr);
  const ResourceInfo* info = store_.FindResource("example.com", "v1", "widgets");
  ASSERT_NE(info, nullptr);  // the storage version
  EXPECT_TRUE(info->resource.namespaced);
  EXPECT_TRUE(info->status_subresource);
  EXPECT_EQ(info->singular, "widget");
  EXPECT_EQ(info->short_names, std::vector<std::string>{"wd"});

  auto widget = [](const std::string& spec) {
    return crd::YamlToJson(
               "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"
               "spec: " +
               spec)
        .value();
  };
  auto bad = store_.Create(info->resource, "default", widget("{size: 0, color: purple}"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("Widget.example.com \"w\" is invalid"), std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("spec.size"), std::string::npos);
  EXPECT_NE(bad.status().message().find("spec.color: Unsupported value: \"purple\""),
            std::string::npos);
  EXPECT_TRUE(store_.Create(info->resource, "default", widget("{size: 2, color: red}")).ok());
}

TEST_F(CrdValidationTest, ACrdWithoutAServedVersionIsRefused) {
  auto crd_json = crd::YamlToJson(
      "spec: {group: example.com, names: {plural: gadgets, kind: Gadget},"
      " versions: [{name: v1, served: false, storage: true}]}");
  ASSERT_TRUE(crd_json.ok());
  Status s = ServeCrd(store_, *crd_json);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("gadgets.example.com: no version is served"), std::string::npos);
  EXPECT_FALSE(ServeCrd(store_, Json::object()).ok());
}

}  // namespace
}  // namespace kcau::sim
