#include "cli/spec_flags.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "cli/args.h"
#include "cli/commands.h"
#include "crd/updaterun_fields.h"
#include "crd/yaml_json.h"

namespace kcau::cli {
namespace {

using web::json::value;

// Runs the CLI as `kubectl cau ARGS` with no cluster (dry runs need none).
struct CliRun {
  int code;
  std::string out;
  std::string err;
};
CliRun Cli(const std::vector<std::string>& args, const std::string& stdin_text = "") {
  FakeClock clock(WallClock::from_time_t(1800000000));  // 2027-01-15 08:00:00 UTC
  std::istringstream in(stdin_text);
  std::ostringstream out;
  std::ostringstream err;
  CliEnv env{clock, in, out, err, false};
  const int code = RunCli(args, env);
  return {code, out.str(), err.str()};
}

value DryRunSpec(std::vector<std::string> args) {
  args.insert(args.end(), {"--dry-run", "-o", "yaml"});
  const CliRun r = Cli(args);
  EXPECT_EQ(r.code, 0) << r.err;
  auto doc = crd::YamlToJson(r.out);
  EXPECT_TRUE(doc.ok()) << r.out;
  return doc.ok() && doc->has_object_field("spec") ? doc->at("spec") : value::object();
}

TEST(SpecFlagsTest, EverySpecFieldHasAFlag) {
  std::set<std::string> covered;
  for (const SpecFlag& flag : SpecFlags()) covered.insert(flag.field->json_name);
  for (const crd::SpecField& field : crd::SpecFields()) {
    EXPECT_TRUE(covered.count(field.json_name)) << field.json_name << " has no flag";
  }
  std::set<std::string> names;
  for (const SpecFlag& flag : SpecFlags()) {
    EXPECT_TRUE(names.insert(flag.name).second) << "two flags named --" << flag.name;
  }
}

TEST(SpecFlagsTest, FlagsAreTheCmdletParametersInKebabCase) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"max-failed-nodes", "maxFailedNodes"},
      {"max-retries-per-node", "maxRetriesPerNode"},
      {"reboot-timeout-minutes", "rebootTimeoutMinutes"},
      {"node-order", "nodeOrder"},
      {"pre-update-script", "preUpdateHook"},
      {"post-update-script", "postUpdateHook"},
      {"cluster-name", "nodeSelector"},
      {"configuration-name", "hookRunner"},
      {"suspend-cluster-node-timeout-minutes", "drainTimeoutMinutes"},
      {"cau-plugin-name", "plugins"},
      {"cau-plugin-arguments", "plugins"},
      {"force-pause-no-drain", "drain"},
      {"force-pause-and-drain", "drain"},
      {"force-pause-drain-and-reboot", "forceReboot"},
      {"what-if", "whatIf"},
      {"max-unavailable", "maxUnavailable"},  // kcau's own: its JSON name
      {"agent-timeout-minutes", "agentTimeoutMinutes"},
      {"mode", "mode"},  // mirrors a cmdlet (Invoke-CauScan), not a parameter
      {"stop", "stop"},
  };
  for (const auto& [flag, field] : cases) {
    const SpecFlag* f = FindSpecFlag(flag);
    ASSERT_NE(f, nullptr) << "--" << flag;
    EXPECT_EQ(f->field->json_name, field) << "--" << flag;
  }
  EXPECT_EQ(KebabCase("SuspendClusterNodeTimeoutMinutes"), "suspend-cluster-node-timeout-minutes");
}

TEST(SpecFlagsTest, ValuesAreReadByTheFieldsKind) {
  const value spec = DryRunSpec({"run",
                                 "--max-failed-nodes",
                                 "2",
                                 "--what-if",
                                 "--run-plugins-serially=false",
                                 "--failback-mode",
                                 "nofailback",
                                 "--warn-after",
                                 "1h30m",
                                 "--max-unavailable",
                                 "25%",
                                 "--node-order",
                                 "node-2,node-1",
                                 "--node-order",
                                 "node-3",
                                 "--cluster-name",
                                 "pool=blue,zone in (a,b)",
                                 "--pre-update-script",
                                 "hooks/pre.sh",
                                 "--configuration-name",
                                 "hook-runner",
                                 "--settle",
                                 "{workloadsReady: yes}",
                                 "--force-pause-no-drain"});
  EXPECT_EQ(spec.at("maxFailedNodes").as_integer(), 2);
  EXPECT_TRUE(spec.at("whatIf").as_bool());
  EXPECT_FALSE(spec.at("runPluginsSerially").as_bool());
  EXPECT_EQ(spec.at("failbackMode").as_string(), "NoFailback");
  EXPECT_EQ(spec.at("warnAfter").as_string(), "1h30m0s");
  EXPECT_EQ(spec.at("maxUnavailable").as_string(), "25%");
  EXPECT_EQ(spec.at("nodeOrder").serialize(), R"(["node-2","node-1","node-3"])");
  EXPECT_EQ(spec.at("nodeSelector").serialize(),
            R"({"matchExpressions":[{"key":"zone","operator":"In","values":["a","b"]}],)"
            R"("matchLabels":{"pool":"blue"}})");
  EXPECT_EQ(spec.at("preUpdateHook").serialize(), R"({"configMap":"hooks","key":"pre.sh"})");
  EXPECT_EQ(spec.at("hookRunner").serialize(), R"({"serviceAccountName":"hook-runner"})");
  EXPECT_TRUE(spec.at("settle").at("workloadsReady").as_bool());
  EXPECT_EQ(spec.at("drain").as_string(), "Skip");
}

TEST(SpecFlagsTest, PluginsPairNamesWithTheirArguments) {
  const value spec =
      DryRunSpec({"run", "--cau-plugin-name", "packages", "--cau-plugin-arguments",
                  "securityOnly=true,exclude=linux-*,firmware-*", "--cau-plugin-name", "script"});
  EXPECT_EQ(spec.at("plugins").serialize(),
            R"([{"arguments":{"exclude":"linux-*,firmware-*","securityOnly":"true"},)"
            R"("name":"packages"},{"name":"script"}])");
  // As the cmdlet: arguments alone go to the default plug-in.
  EXPECT_EQ(
      DryRunSpec({"run", "--cau-plugin-arguments", "securityOnly=true"}).at("plugins").serialize(),
      R"([{"arguments":{"securityOnly":"true"},"name":"packages"}])");
}

TEST(SpecFlagsTest, ForcePauseDrainAndRebootDrainsAsTheCmdlet) {
  const value spec = DryRunSpec({"run", "--force-pause-drain-and-reboot"});
  EXPECT_TRUE(spec.at("forceReboot").as_bool());
  EXPECT_EQ(spec.at("drain").as_string(), "Force");
  const CliRun skip =
      Cli({"run", "--dry-run", "--force-pause-drain-and-reboot", "--force-pause-no-drain"});
  EXPECT_EQ(skip.code, 1);
  EXPECT_NE(skip.err.find("--force-pause-drain-and-reboot: spec.forceReboot: requires drain Force"),
            std::string::npos)
      << skip.err;
}

TEST(SpecFlagsTest, FlagsGoAnywhereOnTheLine) {
  for (const std::vector<std::string>& line : std::vector<std::vector<std::string>>{
           {"--max-failed-nodes", "1", "run", "my-run", "--dry-run", "-o", "yaml"},
           {"run", "--dry-run", "my-run", "--max-failed-nodes=1", "-oyaml"},
           {"-n", "ignored", "run", "-o", "yaml", "--max-failed-nodes", "1", "--dry-run", "--name",
            "my-run"},
           {"run", "my-run", "--max-failed-nodes", "1", "--dry-run", "-o=yaml", "--namespace",
            "kcau-system"},
       }) {
    const CliRun r = Cli(line);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("name: my-run"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("maxFailedNodes: 1"), std::string::npos) << r.out;
  }
}

TEST(SpecFlagsTest, BadValuesNameTheFlag) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--max-failed-nodes", "two"}, "--max-failed-nodes: expected an integer, got \"two\""},
      {{"--max-retries-per-node=1.5"}, "--max-retries-per-node: expected an integer"},
      {{"--what-if=maybe"}, "--what-if: expected true or false, got \"maybe\""},
      {{"--reboot-mode", "warm"},
       "--reboot-mode: expected one of FullReboot, SoftReboot, PluginCustomReboot, "
       "OrchestratorDefault; got \"warm\""},
      {{"--max-unavailable", "lots"}, "--max-unavailable: expected a number or a percentage"},
      {{"--warn-after", "soon"}, "--warn-after: spec.warnAfter: "},
      {{"--reboot-timeout-minutes", "0"},
       "--reboot-timeout-minutes: spec.rebootTimeoutMinutes: "
       "must be between"},
      {{"--pre-update-script", "no-key"}, "--pre-update-script: expected CONFIGMAP/KEY"},
      {{"--cluster-name", "a in (b"}, "--cluster-name: "},
      {{"--cau-plugin-arguments", "novalue"}, "--cau-plugin-arguments: expected key=value"},
      {{"--settle", "{bogus: 1}"}, "--settle: spec.settle.bogus: "},
      {{"--max-failed-nodes"}, "flag --max-failed-nodes needs a value"},
      {{"--no-such-flag"}, "unknown flag --no-such-flag"},
      {{"--name", "Not_A_Name"}, "--name: "},
      {{"--node-order", "a,a"}, "--node-order: spec.nodeOrder[1]: node \"a\" is listed twice"},
  };
  for (const auto& [flags, expected] : cases) {
    std::vector<std::string> line = {"run", "--dry-run"};
    line.insert(line.end(), flags.begin(), flags.end());
    const CliRun r = Cli(line);
    EXPECT_NE(r.code, 0) << flags[0];
    EXPECT_NE(r.err.find(expected), std::string::npos)
        << "flags " << flags[0] << ": stderr was: " << r.err;
  }
}

TEST(SpecFlagsTest, ScanRefusesFlagsThatChangeNodes) {
  const CliRun r = Cli({"scan", "--dry-run", "--force-pause-no-drain"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--force-pause-no-drain: does not apply here"), std::string::npos) << r.err;
  const value spec = DryRunSpec({"scan", "--cluster-name", "pool=blue"});
  EXPECT_EQ(spec.at("mode").as_string(), "Scan");
}

TEST(SpecFlagsTest, DryRunLeavesClusterChecksToTheController) {
  // No cluster to ask: nodes named in nodeOrder are taken on trust, and maxFailedNodes is not
  // compared with a node count.
  const CliRun r = Cli({"run", "--dry-run", "--node-order", "a,b", "--max-failed-nodes", "4"});
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST(SpecFlagsTest, GeneratedNameComesFromTheClock) {
  const CliRun r = Cli({"run", "--dry-run", "-o", "name"});
  EXPECT_EQ(r.out, "updaterun.kcau.io/cau-20270115-080000\n");
}

TEST(SpecFlagsTest, FileGivesTheSpecAndFlagsOverrideIt) {
  const auto path = std::filesystem::path(::testing::TempDir()) / "kcau-spec-fragment.yaml";
  std::ofstream(path) << "apiVersion: kcau.io/v1alpha1\nkind: UpdateRun\n"
                         "metadata: {name: from-file}\n"
                         "spec:\n  maxFailedNodes: 3\n  whatIf: yes\n  nodeOrder: [a]\n";
  const value spec =
      DryRunSpec({"run", "-f", path.string(), "--max-failed-nodes", "1", "--node-order", "b,c"});
  EXPECT_EQ(spec.at("maxFailedNodes").as_integer(), 1);
  EXPECT_TRUE(spec.at("whatIf").as_bool()) << "YAML 1.1: yes is true";
  EXPECT_EQ(spec.at("nodeOrder").serialize(), R"(["b","c"])") << "a flag replaces the file's list";
  EXPECT_NE(
      Cli({"run", "-f", path.string(), "--dry-run", "-o", "yaml"}).out.find("name: from-file"),
      std::string::npos);
  // A problem in what the file set names the file.
  std::ofstream(path) << "rebootTimeoutMinutes: -5\n";
  const CliRun bad = Cli({"run", "-f", path.string(), "--dry-run"});
  EXPECT_NE(bad.err.find("-f " + path.string() + ": spec.rebootTimeoutMinutes: must be between"),
            std::string::npos)
      << bad.err;
  std::filesystem::remove(path);
}

TEST(SpecFlagsTest, FlagsOfOtherVerbsAreRefused) {
  const CliRun r = Cli({"get", "--max-failed-nodes", "1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("flag --max-failed-nodes does not apply to `kubectl cau get`"),
            std::string::npos);
  EXPECT_EQ(Cli({"frobnicate"}).code, 2);
  EXPECT_EQ(Cli({"run", "--dry-run=server"}).code, 1);
}

TEST(ArgsTest, SwitchesTakeNoSeparateValueAndDashDashEndsFlags) {
  const std::vector<FlagDef> defs = {{"force", 0, true}, {"output", 'o'}};
  auto parsed = ParseArgs({"run", "--force", "x", "-o", "yaml", "--", "--force"}, defs);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->positionals, (std::vector<std::string>{"run", "x", "--force"}));
  EXPECT_EQ(parsed->Last("force"), "true");
  EXPECT_EQ(parsed->Last("output"), "yaml");
  auto off = ParseArgs({"--force=false"}, defs);
  EXPECT_EQ(off->Last("force"), "false");
}

}  // namespace
}  // namespace kcau::cli
