// Scenario files: the shipped examples parse into what their comments say, and every kind of
// mistake is refused with file:line:column, the field's path and the problem.
#include "sim/scenario.h"

#include <gtest/gtest.h>

#include <thread>

#include "common/clock.h"
#include "kube/resource.h"
#include "sim/node_simulator.h"
#include "sim/object_store.h"

namespace kcau::sim {
namespace {

using std::chrono::milliseconds;

std::string Example(const std::string& name) {
  return std::string(KCAU_SOURCE_DIR) + "/examples/scenarios/" + name;
}

TEST(ScenarioTest, FaultsExampleMeansWhatItsCommentsSay) {
  auto s = LoadScenario(Example("faults.yaml"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::map<std::string, NodeScenario> nodes;
  for (const auto& n : s->nodes) nodes[n.name] = n;
  ASSERT_EQ(nodes.size(), 12u);
  EXPECT_TRUE(nodes["unmanaged"].no_agent);
  EXPECT_TRUE(nodes["hung"].agent_silent);
  EXPECT_FALSE(nodes["hung"].no_agent) << "it says it runs";
  EXPECT_TRUE(nodes["full-disk"].disk_pressure);
  EXPECT_EQ(nodes["healthy-1"].update_duration, milliseconds(300));  // from nodeDefaults
  EXPECT_EQ(nodes["healthy-1"].updates.at("packages"), 3);           // the built-in default
  EXPECT_EQ(nodes["flaky"].fail_updates, 2);
  EXPECT_TRUE(nodes["lost"].never_returns);
  EXPECT_EQ(nodes["slow-network"].not_ready_after_reboot, milliseconds(5000));
  EXPECT_FALSE(nodes["slow-network"].not_ready_forever);
  EXPECT_TRUE(nodes["broken-cni"].not_ready_forever);
  EXPECT_FALSE(nodes["no-reboot"].reboot_required);
  EXPECT_TRUE(nodes["nothing-to-do"].updates.empty());
  EXPECT_EQ(nodes["picky"].fail_plugin, "script");
  EXPECT_EQ(nodes["picky"].updates.at("script"), 1);
  EXPECT_EQ(nodes["late-bloomer"].updates_after_reboot, 2);
  ASSERT_EQ(s->workloads.size(), 1u);
  EXPECT_EQ(s->workloads[0].pdb_max_unavailable, "1");
  EXPECT_EQ(s->workloads[0].pdb_blocks_for, milliseconds(20000));
  EXPECT_DOUBLE_EQ(s->api.fail_fraction, 0.05);
  EXPECT_EQ(s->api.fail_codes, std::vector<int>{429});
  EXPECT_EQ(s->api.cut_watches_seconds, 5);
  EXPECT_EQ(s->pod_restart_delay, milliseconds(200));
}

TEST(ScenarioTest, GeneratedNodesTakeZonesRoundRobinAndPopulate) {
  auto s = LoadScenario(Example("small-cluster.yaml"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->nodes.size(), 9u);
  EXPECT_EQ(s->nodes[0].name, "cp-1");
  EXPECT_TRUE(s->nodes[0].control_plane);
  EXPECT_EQ(s->nodes[4].name, "worker-2");
  EXPECT_EQ(s->nodes[4].zone, "zone-b");
  EXPECT_EQ(s->nodes[4].labels.at("pool"), "general");

  // Populated: control-plane nodes get only the DaemonSet's pods; budgets count their owners.
  FakeClock clock(WallClock::from_time_t(1800000000));
  ObjectStore store(clock);
  NodeSimulator simulator(store, clock, *s);
  ASSERT_TRUE(simulator.Populate().ok());
  auto on_cp = store.List(kube::resources::Pods(), "", {"", "spec.nodeName=cp-1"});
  ASSERT_TRUE(on_cp.ok());
  ASSERT_EQ(on_cp->items.size(), 1u);
  EXPECT_EQ(on_cp->items[0].at("metadata").at("namespace").as_string(), "kube-system");
  auto db = store.Get(kube::resources::PodDisruptionBudgets(), {"data", "db"});
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(db->at("status").at("expectedPods").as_integer(), 3);
  EXPECT_EQ(db->at("status").at("disruptionsAllowed").as_integer(), 1);
  EXPECT_TRUE(store.Get(kube::resources::Pods(), {"data", "db-0"}).ok());
}

// A restart from --state-file loses the replacements the old process still had pending:
// the new simulator must notice the shortfall itself, or the PDB blocks drains for good.
TEST(ScenarioTest, RestartedSimulatorReplacesPodsItsWorkloadsAreShortOf) {
  auto s = LoadScenario(Example("small-cluster.yaml"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  s->pod_restart_delay = milliseconds(1);
  FakeClock clock(WallClock::from_time_t(1800000000));
  ObjectStore before(clock);
  NodeSimulator populated(before, clock, *s);
  ASSERT_TRUE(populated.Populate().ok());
  const auto& pods = kube::resources::Pods();
  const size_t total = before.List(pods, "", {})->items.size();
  // Evicted while the old process ran; their replacements were still on its timers.
  ASSERT_TRUE(before.Delete(pods, {"data", "db-1"}).ok());
  auto web = before.List(pods, "web", {});
  ASSERT_TRUE(web.ok() && !web->items.empty());
  const std::string web_pod = web->items[0].at("metadata").at("name").as_string();
  ASSERT_TRUE(before.Delete(pods, {"web", web_pod}).ok());

  ObjectStore after(clock);
  ASSERT_TRUE(after.ImportState(before.ExportState()).ok());
  NodeSimulator restarted(after, clock, *s);
  restarted.Start();
  size_t now = 0;
  for (int i = 0; i < 500 && now != total; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
    now = after.List(pods, "", {})->items.size();
  }
  restarted.Stop();
  EXPECT_EQ(now, total);
  EXPECT_TRUE(after.Get(pods, {"data", "db-1"}).ok()) << "a StatefulSet pod keeps its name";
  EXPECT_FALSE(after.Get(pods, {"web", web_pod}).ok()) << "a ReplicaSet pod gets a new name";
}

TEST(ScenarioTest, ThousandNodeExampleParses) {
  auto s = LoadScenario(Example("thousand-nodes.yaml"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->nodes.size(), 1000u);
  EXPECT_EQ(s->nodes[999].name, "node-1000");
  EXPECT_EQ(s->workloads[0].pdb_max_unavailable, "10%");
}

struct Malformed {
  const char* label;
  const char* yaml;
  const char* expected;  // the whole "where: what" message
};

class MalformedScenarioTest : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedScenarioTest, IsRefusedWithFileLineAndProblem) {
  auto s = ParseScenario(GetParam().yaml, "cluster.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.status().message(), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedScenarioTest,
    ::testing::Values(
        Malformed{"BadDuration", "nodes:\n  - name: a\n    updateDuration: fast\n",
                  "cluster.yaml:3:21: nodes[0].updateDuration: \"fast\" is not a duration such "
                  "as 500ms, 2s or 1m"},
        Malformed{"MisspeltFault", "nodes:\n  - name: a\n    faults:\n      failUpdate: 2\n",
                  "cluster.yaml:4:7: nodes[0].faults.failUpdate: unknown field (known: "
                  "agentSilent, diskPressure, failPlugin, failUpdates, neverReturns, noAgent, "
                  "notReadyAfterReboot)"},
        Malformed{"NoNodes", "workloads: []\n",
                  "cluster.yaml:1:1: nodes: required: at least one node"},
        Malformed{"DuplicateNode", "nodes:\n  - name: a\n  - name: a\n",
                  "cluster.yaml:3:5: nodes[1].name: node \"a\" is defined twice"},
        Malformed{"BadKind", "nodes: [{name: a}]\nworkloads:\n  - kind: CronJob\n    name: x\n",
                  "cluster.yaml:3:11: workloads[0].kind: \"CronJob\" is not one of Deployment, "
                  "StatefulSet, DaemonSet"},
        Malformed{"BothBudgets",
                  "nodes: [{name: a}]\nworkloads:\n  - kind: Deployment\n    name: x\n"
                  "    pdb: {minAvailable: 1, maxUnavailable: 1}\n",
                  "cluster.yaml:5:10: workloads[0].pdb: give minAvailable or maxUnavailable, "
                  "not both"},
        Malformed{"BadFraction", "nodes: [{name: a}]\napi:\n  faults:\n    failRequests: 2\n",
                  "cluster.yaml:4:19: api.faults.failRequests: \"2\" is not a fraction between 0 "
                  "and 1"},
        Malformed{"SyntaxError", "nodes:\n  - name: [a\n",
                  "cluster.yaml:3:1: end of sequence flow not found"},
        Malformed{"NoFailCode", "nodes: [{name: a}]\napi:\n  faults:\n    failCode: []\n",
                  "cluster.yaml:4:15: api.faults.failCode: expected at least one code (500 or "
                  "429)"},
        Malformed{"BadFailCodeInMix",
                  "nodes: [{name: a}]\napi:\n  faults:\n    failCode: [500, 404]\n",
                  "cluster.yaml:4:21: api.faults.failCode[1]: must be 500 or 429"},
        Malformed{"NegativeCount", "nodes:\n  - namePrefix: w-\n    count: -1\n",
                  "cluster.yaml:3:12: nodes[0].count: -1 is out of range [1, 100000]"},
        Malformed{"UnknownAgentKind", "nodes:\n  - name: a\n    agent: robot\n",
                  "cluster.yaml:3:12: nodes[0].agent: \"robot\" is not one of simulated, real"},
        Malformed{"FilesWithoutARoot", "nodes:\n  - name: a\n    files: {/x: y}\n",
                  "cluster.yaml:3:12: nodes[0].files: only a node with agent: real has a root to "
                  "put files in"},
        Malformed{"RelativeFilePath", "nodes:\n  - {name: a, agent: real, files: {x/y: z}}\n",
                  "cluster.yaml:2:36: nodes[0].files[x/y]: \"x/y\" is not an absolute path of a "
                  "file in the root"},
        Malformed{"DotDotFilePath",
                  "nodes:\n  - {name: a, agent: real, files: {/etc/../../x: z}}\n",
                  "cluster.yaml:2:36: nodes[0].files[/etc/../../x]: \"/etc/../../x\" has an "
                  "empty, \".\" or \"..\" component"},
        Malformed{"SimsOwnFile",
                  "nodes:\n  - {name: a, agent: real, files: {/var/run/kcau-sim/boot_id: x}}\n",
                  "cluster.yaml:2:36: nodes[0].files[/var/run/kcau-sim/boot_id]: "
                  "\"/var/run/kcau-sim/boot_id\" is kcau-sim's own (the boot ID and reboot "
                  "requests)"},
        Malformed{"BadFileMode",
                  "nodes:\n  - name: a\n    agent: real\n    files:\n"
                  "      /opt/x.sh: {content: x, mode: \"0999\"}\n",
                  "cluster.yaml:5:37: nodes[0].files[/opt/x.sh].mode: \"0999\" is not an octal "
                  "mode such as \"0755\""},
        Malformed{"RootTemplateWithoutARoot", "nodes:\n  - {name: a, rootTemplate: /srv/t}\n",
                  "cluster.yaml:2:29: nodes[0].rootTemplate: only a node with agent: real has a "
                  "root to copy a template into"},
        Malformed{"RelativeRootTemplate",
                  "nodes:\n  - {name: a, agent: real, rootTemplate: srv/t}\n",
                  "cluster.yaml:2:42: nodes[0].rootTemplate: \"srv/t\" is not an absolute path "
                  "of a directory"},
        Malformed{
            "FakedFaultOfARealAgent",
            "nodeDefaults: {agent: real}\nnodes:\n  - name: a\n    faults: {failUpdates: 1}\n",
            "cluster.yaml:4:13: nodes[0].faults: failUpdates, failPlugin and noAgent fake "
            "the simulated agent; a real agent runs the real plug-ins (make one fail "
            "through files in its root)"},
        Malformed{"RealAgentNodeNameIsNoPath", "nodes:\n  - {name: ../a, agent: real}\n",
                  "cluster.yaml:2:5: nodes[0].name: a lowercase RFC 1123 subdomain must consist "
                  "of lower case alphanumeric characters, '-' or '.', and must start and end with "
                  "an alphanumeric character (e.g. 'example.com', regex used for validation is "
                  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"}),
    [](const ::testing::TestParamInfo<Malformed>& info) { return info.param.label; });

// agent: real, and the files of its root: a string is the content (mode 0644), a mapping
// gives content and mode; nodeDefaults apply as for any field, and a node may say otherwise.
TEST(ScenarioTest, RealAgentNodesAndTheFilesOfTheirRoots) {
  auto s = ParseScenario(
      "nodeDefaults: {agent: real}\n"
      "nodes:\n"
      "  - name: a\n"
      "    files:\n"
      "      /run/reboot-required: \"\"\n"
      "      /opt/fix/01.sh: {content: \"#!/bin/sh\\n\", mode: \"0755\"}\n"
      "  - {name: b, agent: simulated}\n"
      "  - {name: c}\n",
      "c.yaml");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->nodes.size(), 3u);
  EXPECT_EQ(s->nodes[0].agent, AgentKind::kReal);
  EXPECT_EQ(s->nodes[0].files,
            (std::map<std::string, RootFile>{{"/run/reboot-required", {"", 0644}},
                                             {"/opt/fix/01.sh", {"#!/bin/sh\n", 0755}}}));
  EXPECT_EQ(s->nodes[1].agent, AgentKind::kSimulated);
  EXPECT_EQ(s->nodes[2].agent, AgentKind::kReal);
  EXPECT_TRUE(s->nodes[2].files.empty());
  EXPECT_EQ(DefaultScenario(2, 1).nodes[0].agent, AgentKind::kSimulated) << "the default";
}

// rootTemplate: a node's root copied from a directory; nodeDefaults may give it to all.
TEST(ScenarioTest, RealAgentNodesMayHaveARootTemplate) {
  auto s = ParseScenario(
      "nodeDefaults: {agent: real, rootTemplate: /var/cache/debian}\n"
      "nodes:\n"
      "  - {name: a}\n"
      "  - {name: b, rootTemplate: /srv/other}\n",
      "c.yaml");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->nodes.size(), 2u);
  EXPECT_EQ(s->nodes[0].root_template, "/var/cache/debian");
  EXPECT_EQ(s->nodes[1].root_template, "/srv/other");
  EXPECT_EQ(DefaultScenario(1, 1).nodes[0].root_template, "") << "busybox layout by default";
}

TEST(ScenarioTest, FailCodeIsOneCodeOrAMixToDrawFrom) {
  auto one = ParseScenario("nodes: [{name: a}]\napi:\n  faults: {failCode: 429}\n", "c.yaml");
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->api.fail_codes, std::vector<int>{429});
  auto mix =
      ParseScenario("nodes: [{name: a}]\napi:\n  faults: {failCode: [500, 429, 429]}\n", "c.yaml");
  ASSERT_TRUE(mix.ok()) << mix.status().ToString();
  EXPECT_EQ(mix->api.fail_codes, (std::vector<int>{500, 429, 429}));
  auto none = ParseScenario("nodes: [{name: a}]\n", "c.yaml");
  EXPECT_EQ(none->api.fail_codes, std::vector<int>{500}) << "the default";
}

TEST(ScenarioTest, FailCodeFlagTakesACommaSeparatedMix) {
  EXPECT_EQ(*ParseFailCodes("500"), std::vector<int>{500});
  EXPECT_EQ(*ParseFailCodes("500,429"), (std::vector<int>{500, 429}));
  EXPECT_EQ(*ParseFailCodes("429,429,500"), (std::vector<int>{429, 429, 500}));
  for (const std::string bad : {"", "500,", "404", "500;429", " 500", "429x", "500,,429"}) {
    auto codes = ParseFailCodes(bad);
    ASSERT_FALSE(codes.ok()) << bad;
    EXPECT_EQ(codes.status().message().rfind("--fail-code: \"", 0), 0u) << bad;
  }
  EXPECT_EQ(ParseFailCodes("500,404").status().message(),
            "--fail-code: \"404\" is not 500 or 429 (give one, or a list such as 500,429)");
}

TEST(ScenarioTest, MissingFileIsNamed) {
  auto s = LoadScenario("/nonexistent/cluster.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("/nonexistent/cluster.yaml"), std::string::npos);
}

}  // namespace
}  // namespace kcau::sim
