// The UpdateRun codec (decoding with path-naming errors, round trips, the compact status of
// large runs) and the CRD manifest against the code (fields, bounds, name patterns).
#include "crd/updaterun_codec.h"

#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <regex>
#include <set>

#include "crd/k8s_names.h"
#include "crd/validation.h"
#include "crd/yaml_json.h"
#include "tests/unit/crd/source_files.h"

namespace kcau::crd {
namespace {

using web::json::value;

TEST(CodecTest, DecodesEveryField) {
  auto run = DecodeUpdateRun(Yaml(ReadFile("tests/testdata/updaterun/full.yaml")));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->name, "full");
  EXPECT_EQ(run->uid, "1f2e");
  EXPECT_EQ(run->resource_version, "42");
  EXPECT_EQ(run->generation, 3);
  const UpdateRunSpec& s = run->spec;
  ASSERT_TRUE(s.node_selector.has_value());
  EXPECT_EQ(s.node_selector->match_labels.at("pool"), "workers");
  ASSERT_EQ(s.node_selector->match_expressions.size(), 1u);
  EXPECT_EQ(s.node_selector->match_expressions[0].op, "In");
  ASSERT_EQ(s.plugins.size(), 2u);
  EXPECT_EQ(s.plugins[0].name, "packages");
  EXPECT_EQ(s.plugins[0].arguments.at("IncludeRecommendedUpdates"), "true");
  EXPECT_EQ(s.plugins[1].arguments.at("HotfixInstallerTimeoutMinutes"), "30");
  EXPECT_EQ(s.run_plugins_serially, true);
  EXPECT_EQ(s.stop_on_plugin_failure, true);
  EXPECT_EQ(s.separate_reboots, true);
  EXPECT_EQ(s.max_failed_nodes, 1);
  EXPECT_EQ(s.max_retries_per_node, 5);
  EXPECT_EQ(s.site_aware_updating_order, (std::vector<std::string>{"zone-b", "zone-a"}));
  EXPECT_EQ(s.pre_update_hook->key, "pre.sh");
  EXPECT_EQ(s.pre_update_hook->timeout_seconds, 60);
  EXPECT_EQ(s.hook_runner->service_account_name, "kcau-hooks");
  EXPECT_EQ(s.hook_runner->run_as_user, 1000);
  EXPECT_EQ(s.require_all_nodes_online, true);
  EXPECT_EQ(s.warn_after, std::chrono::minutes(90));
  EXPECT_EQ(s.stop_after, std::chrono::hours(3));
  EXPECT_EQ(s.reboot_timeout_minutes, 20);
  EXPECT_EQ(s.drain_timeout_minutes, 10);
  EXPECT_EQ(s.agent_timeout_minutes, 20);
  EXPECT_EQ(s.drain, DrainMode::kForce);
  EXPECT_EQ(s.force_reboot, true);
  EXPECT_EQ(s.failback_mode, FailbackMode::kPolicy);
  EXPECT_EQ(s.reboot_mode, RebootMode::kSoftReboot);
  EXPECT_EQ(s.attempt_soft_reboot, true);
  EXPECT_EQ(s.os_rolling_upgrade, false);
  EXPECT_EQ(s.force_self_update, true);
  EXPECT_EQ(s.mode, RunMode::kUpdate);
  EXPECT_EQ(s.max_unavailable, (IntOrPercent{25, true}));
  EXPECT_EQ(s.settle->delay, std::chrono::seconds(30));
  EXPECT_EQ(s.fields_present.size(), 31u);
  EXPECT_TRUE(s.fields_present.count("spec.settle"));
}

TEST(CodecTest, SpecRoundTrips) {
  auto run = DecodeUpdateRun(Yaml(ReadFile("tests/testdata/updaterun/full.yaml")));
  ASSERT_TRUE(run.ok());
  auto again = DecodeUpdateRunSpec(EncodeUpdateRunSpec(run->spec));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, run->spec);
}

TEST(CodecTest, WrongTypesAndUnknownFieldsNameTheirPath) {
  struct Case {
    std::string spec;
    std::string want;
  };
  for (const Case& c : {
           Case{"maxRetriesPerNode: three", "spec.maxRetriesPerNode: expected integer, got string"},
           Case{"plugins: [{name: 7}]", "spec.plugins[0].name: expected string, got integer"},
           Case{"plugins: [{name: packages, args: {}}]", "spec.plugins[0].args: unknown field"},
           Case{"drain: Sometimes", "spec.drain: \"Sometimes\" is not one of Normal, Skip, Force"},
           Case{"warnAfter: soon", "spec.warnAfter: invalid duration \"soon\""},
           Case{"maxUnavailable: lots", "spec.maxUnavailable: expected an integer or a percentage"},
           Case{"nodeOrder: node-1", "spec.nodeOrder: expected array, got string"},
           Case{"clusterName: x", "spec.clusterName: unknown field"},
           // Out of range: once wrapped around to a negative that ended the run at once.
           Case{"stopAfter: \"99999999999999999999h\"",
                "spec.stopAfter: invalid duration \"99999999999999999999h\": longer than the "
                "maximum of 10 years (87600h)"},
           Case{"warnAfter: \"87601h\"", "spec.warnAfter: invalid duration \"87601h\": longer"},
           Case{"settle: {delay: 3651.00:00:00}", "spec.settle.delay: invalid duration"},
           // Names that would leave their place in a URL or in the agent's request.
           Case{"hookRunner: {serviceAccountName: ../../kube-system/admin}",
                "spec.hookRunner.serviceAccountName: \"../../kube-system/admin\" is not a "
                "DNS-1123 subdomain"},
           Case{"hookRunner: {serviceAccountName: \"\"}",
                "spec.hookRunner.serviceAccountName: must not be empty"},
           Case{
               "preUpdateHook: {configMap: ../../kube-system/x, key: pre.sh}",
               "spec.preUpdateHook.configMap: \"../../kube-system/x\" is not a DNS-1123 subdomain"},
           Case{"postUpdateHook: {configMap: Hooks, key: post.sh}",
                "spec.postUpdateHook.configMap: \"Hooks\" is not a DNS-1123 subdomain"},
           Case{"preUpdateHook: {configMap: hooks, key: ../pre.sh}",
                "spec.preUpdateHook.key: \"../pre.sh\" is not a ConfigMap key"},
           Case{"postUpdateHook: {configMap: hooks, key: " + std::string(254, 'k') + "}",
                "spec.postUpdateHook.key: is 254 characters long, at most 253 allowed"},
       }) {
    SCOPED_TRACE(c.spec);
    auto run = DecodeUpdateRun(Yaml("metadata: {name: r}\nspec:\n  " + c.spec + "\n"));
    ASSERT_FALSE(run.ok());
    EXPECT_EQ(run.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(run.status().message().find(c.want), std::string::npos) << run.status().message();
  }
}

// Invoke-CauRun uses its default plug-in when none is named; so does kcau.
TEST(CodecTest, RunWithoutPluginsGetsTheDefaultPlugin) {
  for (const std::string doc : {"metadata: {name: r}\nspec: {maxFailedNodes: 1}\n",
                                "metadata: {name: r}\nspec: {plugins: []}\n",
                                "metadata: {name: r}\nspec: {}\n", "metadata: {name: r}\n"}) {
    SCOPED_TRACE(doc);
    auto run = DecodeUpdateRun(Yaml(doc));
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    EXPECT_EQ(run->spec.plugins, (std::vector<PluginSpec>{{"packages", {}}}));
  }
  auto absent = DecodeUpdateRunSpec(Yaml("maxFailedNodes: 1\n"));
  ASSERT_TRUE(absent.ok());
  EXPECT_EQ(absent->plugins, (std::vector<PluginSpec>{{kDefaultPlugin, {}}}));
  EXPECT_FALSE(absent->fields_present.count("spec.plugins")) << "the document did not name it";
  // Named plug-ins are left as they are.
  auto named = DecodeUpdateRunSpec(Yaml("plugins: [{name: reboot-required}]\n"));
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->plugins, (std::vector<PluginSpec>{{"reboot-required", {}}}));
}

TEST(CodecTest, StatusRoundTrips) {
  UpdateRunStatus st;
  st.phase = RunPhase::kRunning;
  st.observed_generation = 2;
  st.revision = 17;
  const TimePoint t = WallClock::from_time_t(1800000000);
  st.conditions.push_back({"Progressing", "True", "Started", "go", t, 2});
  st.plan = {"a", "b"};
  st.nodes_total = 2;
  st.start_time = t;
  NodeResult r;
  r.name = "a";
  r.phase = NodePhase::kRebooting;
  r.attempts = 2;
  r.updates_installed = 3;
  r.boot_id_before = "boot";
  r.was_unschedulable = true;
  r.request_token = "tok";
  r.message = "m";
  r.start_time = t;
  r.phase_time = t + std::chrono::seconds(5);
  st.nodes = {r, NodeResult{"b"}};
  auto decoded = DecodeUpdateRunStatus(EncodeUpdateRunStatus(st));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, st);
}

// A status of the wrong shape names the path of the value at fault, however deep it is
// (paths are spelled out only for the message, crd/json_reader.h).
TEST(CodecTest, StatusProblemsNameTheirPath) {
  struct Case {
    std::string status;
    std::string message;
  };
  for (const Case& c : {
           Case{R"({"nodes":[{"name":"a"},{"name":"b","phaseTime":"soon"}]})",
                "status.nodes[1].phaseTime: expected an RFC 3339 time such as "
                "2026-01-02T15:04:05Z"},
           Case{R"({"nodes":[{"name":"a","blocked":{"since":7}}]})",
                "status.nodes[0].blocked.since: expected string, got integer"},
           Case{R"({"conditions":[{"type":"Ready"},{"observedGeneration":"2"}]})",
                "status.conditions[1].observedGeneration: expected integer, got string"},
           Case{R"({"nodes":[{"name":"a","phase":"Sleeping"}]})",
                "status.nodes[0].phase: \"Sleeping\" is not one of"},
           Case{R"({"nodes":[7]})", "status.nodes[0]: expected object, got integer"},
           Case{R"({"nodes":{"a":1}})", "status.nodes: expected array, got object"},
           Case{R"({"succeededNodes":7})", "status.succeededNodes: expected array, got integer"},
           Case{R"({"succeededNodes":[{"names":["a"]},{"names":[3]}]})",
                "status.succeededNodes[1].names[0]: expected string, got integer"},
           Case{R"({"upToDateNodes":["a",{}]})",
                "status.upToDateNodes[1]: expected string, got object"},
       }) {
    auto decoded = DecodeUpdateRunStatus(web::json::value::parse(c.status));
    ASSERT_FALSE(decoded.ok()) << c.status;
    EXPECT_EQ(decoded.status().message().rfind(c.message, 0), 0u)
        << decoded.status().message() << "\n  expected to begin with: " << c.message;
  }
}

// Kubernetes refuses objects over 1.5 MiB (etcd's request limit); kcau aims at 512 KiB.
// Large runs need a summarised node list; this guards the hard limit and prints the figure.
TEST(CodecTest, FiveThousandNodeStatusFitsInAnObject) {
  UpdateRunStatus st;
  st.phase = RunPhase::kSucceeded;
  const TimePoint t = WallClock::from_time_t(1800000000);
  for (int i = 0; i < 5000; ++i) {
    NodeResult r;
    r.name = "ip-10-0-" + std::to_string(i / 250) + "-" + std::to_string(i % 250) +
             ".eu-west-1.compute.internal";
    r.phase = NodePhase::kSucceeded;
    r.attempts = 1;
    r.updates_installed = 12;
    r.rebooted = true;
    r.message = NodeSucceededMessage(12, true);  // as the planner writes it
    r.start_time = t;
    r.finish_time = t + std::chrono::minutes(4);
    st.plan.push_back(r.name);
    st.nodes.push_back(r);
  }
  st.nodes_total = st.nodes_succeeded = 5000;
  // Mid-run too: 100 in flight with every field, 900 to go.
  UpdateRunStatus mid = st;
  for (int i = 4000; i < 5000; ++i) {
    NodeResult& r = mid.nodes[i];
    r = NodeResult{.name = r.name};
    if (i < 4100) {
      r.phase = NodePhase::kRebooting;
      r.attempts = 1;
      r.boot_id_before = "0d1c4f7e-3b1a-4c55-9a0e-5c7d2b9f1e42";
      r.request_token = "patch-tuesday/6f1e0c52-1d0b-4b8e-9a52-9d1f3c7e0a11/" + r.name + "/1";
      r.start_time = r.phase_time = t;
    }
  }
  // A fleet mostly up to date: 4,000 nodes skipped because their agent found nothing.
  UpdateRunStatus up_to_date = st;
  for (int i = 0; i < 4000; ++i) {
    NodeResult& r = up_to_date.nodes[i];
    r = NodeResult{.name = r.name, .phase = NodePhase::kSkipped};
    r.message = kNoUpdatesApply;
    r.request_token = "patch-tuesday/6f1e0c52-1d0b-4b8e-9a52-9d1f3c7e0a11/" + r.name + "/1/scan";
    r.phase_time = r.finish_time = t;
  }
  for (const auto* status : {&st, &mid, &up_to_date}) {
    const value encoded = EncodeUpdateRunStatus(*status);
    const size_t size = encoded.serialize().size();
    std::cout << "status of 5,000 nodes ("
              << (status == &st    ? "ended"
                  : status == &mid ? "mid-run"
                                   : "4,000 up to date")
              << "): " << size << " bytes\n";
    EXPECT_LT(size, 512u * 1024) << "status of 5,000 nodes is " << size << " bytes";
    // Nothing the controller needs is lost: decoding gives the same nodes (grouped ones after
    // the others) and encoding that again gives the same bytes.
    auto decoded = DecodeUpdateRunStatus(encoded);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->nodes.size(), 5000u);
    EXPECT_EQ(EncodeUpdateRunStatus(*decoded).serialize(), encoded.serialize());
    std::map<std::string, NodeResult> by_name;
    for (const auto& r : decoded->nodes) by_name[r.name] = r;
    for (const auto& r : status->nodes) {
      const NodeResult& back = by_name[r.name];
      ASSERT_EQ(back.phase, r.phase) << r.name;
      EXPECT_EQ(back.attempts, r.attempts) << r.name;
      EXPECT_EQ(back.updates_installed, r.updates_installed) << r.name;
      EXPECT_EQ(back.message, r.message) << r.name;
      // A node that ended with nothing to install is listed by name only: its request token
      // and times, of no use once it ended, go.
      if (r.message != kNoUpdatesApply) EXPECT_EQ(back.request_token, r.request_token) << r.name;
    }
  }
}

TEST(CodecTest, SmallRunsKeepEveryNodeInFull) {
  UpdateRunStatus st;
  NodeResult r{.name = "n1",
               .phase = NodePhase::kSucceeded,
               .attempts = 1,
               .updates_installed = 2,
               .rebooted = true};
  r.message = NodeSucceededMessage(2, true);
  r.finish_time = WallClock::from_time_t(1800000000);
  st.nodes.push_back(r);
  const value encoded = EncodeUpdateRunStatus(st);
  EXPECT_FALSE(encoded.has_field("succeededNodes"));
  EXPECT_EQ(encoded.at("nodes").at(0).at("finishTime").as_string(), "2027-01-15T08:00:00Z");
}

TEST(EnumNamesTest, RoundTrip) {
  for (auto p : {NodePhase::kPending, NodePhase::kCordoned, NodePhase::kSkipped}) {
    EXPECT_EQ(ParseNodePhase(NodePhaseName(p)), p);
  }
  EXPECT_EQ(ParseRunPhase("Succeeded"), RunPhase::kSucceeded);
  EXPECT_FALSE(ParseRunPhase("Done").has_value());
}

}  // namespace
}  // namespace kcau::crd

namespace kcau::crd {
namespace {

// The CRD's schema and the codec must not drift: every field the codec decodes appears in
// the schema, and the schema has no spec field the codec would refuse.
TEST(CrdManifestTest, SchemaAndCodecKnowTheSameSpecFields) {
  auto docs = YamlToJsonDocuments(ReadFile("crd/updaterun-crd.yaml"));
  ASSERT_TRUE(docs.ok()) << docs.status().ToString();
  const value& crd = docs->at(0);
  EXPECT_EQ(crd.at("spec").at("group").as_string(), "kcau.io");
  EXPECT_EQ(crd.at("spec").at("scope").as_string(), "Cluster");
  const value& version = crd.at("spec").at("versions").at(0);
  const value& props =
      version.at("schema").at("openAPIV3Schema").at("properties").at("spec").at("properties");
  auto full = DecodeUpdateRun(Yaml(ReadFile("tests/testdata/updaterun/full.yaml")));
  ASSERT_TRUE(full.ok());
  // full.yaml sets everything but nodeOrder (it excludes siteAwareUpdatingOrder).
  std::set<std::string> codec_fields = full->spec.fields_present;
  codec_fields.insert("spec.nodeOrder");
  std::set<std::string> schema_fields;
  for (const auto& [name, _] : props.as_object()) schema_fields.insert("spec." + name);
  EXPECT_EQ(schema_fields, codec_fields);
  EXPECT_EQ(props.at("maxRetriesPerNode").at("maximum").as_integer(), 64);
  std::vector<std::string> columns;
  for (const auto& c : version.at("additionalPrinterColumns").as_array()) {
    columns.push_back(c.at("name").as_string());
  }
  EXPECT_EQ(columns, (std::vector<std::string>{"Phase", "Succeeded", "Failed", "Age"}));
}

// Walks the spec's schema: "hookRunner.runAsUser", "nodeOrder[]" (the items of an array),
// "plugins[].arguments{}" (the values of a map).
const value& SpecSchemaAt(const value& spec_props, const std::string& path) {
  const value* node = nullptr;
  size_t begin = 0;
  while (begin < path.size()) {
    size_t dot = path.find('.', begin);
    std::string part =
        path.substr(begin, dot == std::string::npos ? std::string::npos : dot - begin);
    std::vector<std::string> suffixes;
    while (part.size() > 2 &&
           (part.substr(part.size() - 2) == "[]" || part.substr(part.size() - 2) == "{}")) {
      suffixes.insert(suffixes.begin(), part.substr(part.size() - 2));
      part.resize(part.size() - 2);
    }
    node = node == nullptr ? &spec_props.at(part) : &node->at("properties").at(part);
    for (const auto& s : suffixes) {
      node = s == "[]" ? &node->at("items") : &node->at("additionalProperties");
    }
    if (dot == std::string::npos) break;
    begin = dot + 1;
  }
  return *node;
}

int64_t SchemaInt(const value& node, const char* keyword) {
  EXPECT_TRUE(node.has_field(keyword)) << keyword << " missing in " << node.serialize();
  return node.has_field(keyword) ? node.at(keyword).as_number().to_int64() : -1;
}

// The schema's bounds are the controller's: a run the API server admits is not refused later
// for a bound the schema did not state, and the other way round.
TEST(CrdManifestTest, SchemaBoundsAreTheControllers) {
  const value& props = SpecSchema().at("properties");
  for (const IntegerField& f : SpecIntegerFields()) {
    SCOPED_TRACE(f.path);
    const value& node = SpecSchemaAt(props, std::string(f.path).substr(5));  // after "spec."
    EXPECT_EQ(node.at("type").as_string(), "integer");
    EXPECT_EQ(SchemaInt(node, "minimum"), f.minimum);
    EXPECT_EQ(SchemaInt(node, "maximum"), f.maximum);
  }
  struct Size {
    std::string path;
    const char* keyword;
    size_t want;
  };
  for (const Size& s : {
           Size{"plugins", "maxItems", kMaxPlugins},
           Size{"plugins[].arguments", "maxProperties", kMaxPluginArguments},
           Size{"plugins[].arguments{}", "maxLength", kMaxPluginArgumentValueLength},
           Size{"nodeOrder", "maxItems", kMaxNodeOrder},
           Size{"nodeOrder[]", "maxLength", kMaxDnsSubdomainLength},
           Size{"siteAwareUpdatingOrder", "maxItems", kMaxSites},
           Size{"siteAwareUpdatingOrder[]", "maxLength", kMaxLabelValueLength},
           Size{"nodeSelector.matchLabels", "maxProperties", kMaxSelectorTerms},
           Size{"nodeSelector.matchLabels{}", "maxLength", kMaxLabelValueLength},
           Size{"nodeSelector.matchExpressions", "maxItems", kMaxSelectorTerms},
           Size{"nodeSelector.matchExpressions[].key", "maxLength",
                kMaxDnsSubdomainLength + 1 + kMaxLabelNameLength},
           Size{"nodeSelector.matchExpressions[].values", "maxItems", kMaxSelectorValues},
           Size{"nodeSelector.matchExpressions[].values[]", "maxLength", kMaxLabelValueLength},
           Size{"preUpdateHook.configMap", "maxLength", kMaxDnsSubdomainLength},
           Size{"postUpdateHook.configMap", "maxLength", kMaxDnsSubdomainLength},
           Size{"preUpdateHook.key", "maxLength", kMaxConfigMapKeyLength},
           Size{"postUpdateHook.key", "maxLength", kMaxConfigMapKeyLength},
           Size{"hookRunner.serviceAccountName", "maxLength", kMaxDnsSubdomainLength},
       }) {
    SCOPED_TRACE(s.path + " " + s.keyword);
    EXPECT_EQ(SchemaInt(SpecSchemaAt(props, s.path), s.keyword), static_cast<int64_t>(s.want));
  }
  // A run without plug-ins is admitted: the controller gives it the default one.
  const value& spec = SpecSchema();
  if (spec.has_field("required")) {
    for (const auto& r : spec.at("required").as_array()) EXPECT_NE(r.as_string(), "plugins");
  }
  EXPECT_FALSE(props.at("plugins").has_field("minItems"));
}

// The schema's patterns and the controller's name checks (crd/k8s_names.h) accept the same
// values, over a corpus of good and bad ones.
TEST(CrdManifestTest, SchemaPatternsAgreeWithTheNameChecks) {
  const value& props = SpecSchema().at("properties");
  const std::vector<std::string> corpus = {"",
                                           "a",
                                           "node-1",
                                           "Node-1",
                                           "node_1",
                                           "-node",
                                           "node-",
                                           "a.b",
                                           "a..b",
                                           ".a",
                                           "a.",
                                           "a/b",
                                           "../../kube-system/admin",
                                           "kube-system/admin",
                                           "pre.sh",
                                           "pre-1_b.sh",
                                           "zone a",
                                           "zone-a",
                                           "ZONE_A.b",
                                           "a b",
                                           "é",
                                           "x/",
                                           "/x",
                                           "example.com/pool",
                                           "Example.com/pool",
                                           "example.com/-pool",
                                           "example.com/pool_",
                                           "a/b/c",
                                           std::string(63, 'a'),
                                           std::string(64, 'a'),
                                           std::string(253, 'a'),
                                           std::string(254, 'a'),
                                           std::string(253, 'a') + "/" + std::string(63, 'b'),
                                           "k8s.io/" + std::string(64, 'b'),
                                           std::string(250, 'a') + ".b",
                                           "1.2.3"};
  struct Check {
    std::string path;
    std::string (*problem)(const std::string&);
  };
  for (const Check& c : {
           Check{"nodeOrder[]", DnsSubdomainProblem},
           Check{"preUpdateHook.configMap", DnsSubdomainProblem},
           Check{"postUpdateHook.configMap", DnsSubdomainProblem},
           Check{"hookRunner.serviceAccountName", DnsSubdomainProblem},
           Check{"preUpdateHook.key", ConfigMapKeyProblem},
           Check{"postUpdateHook.key", ConfigMapKeyProblem},
           Check{"nodeSelector.matchLabels{}", LabelValueProblem},
           Check{"nodeSelector.matchExpressions[].values[]", LabelValueProblem},
           Check{"nodeSelector.matchExpressions[].key", LabelKeyProblem},
       }) {
    const value& node = SpecSchemaAt(props, c.path);
    const std::regex pattern(node.at("pattern").as_string());
    for (const std::string& v : corpus) {
      SCOPED_TRACE(c.path + " \"" + v.substr(0, 80) + "\"");
      bool schema_ok = std::regex_search(v, pattern);
      if (node.has_field("maxLength")) schema_ok &= v.size() <= SchemaInt(node, "maxLength");
      if (node.has_field("minLength")) schema_ok &= v.size() >= SchemaInt(node, "minLength");
      // A label key's prefix may be 253 characters and its name 63: a pattern cannot
      // count the two apart, so the controller alone refuses a prefix that is too long.
      const bool prefix_too_long = v.find('/') != std::string::npos && v.find('/') > 253;
      EXPECT_EQ(schema_ok, c.problem(v).empty() || prefix_too_long) << c.problem(v);
    }
  }
  // ConfigMap keys: the controller also refuses "." and a ".." prefix, as the API server does;
  // the pattern lets them through (RE2 has no lookahead to say so).
  EXPECT_NE(ConfigMapKeyProblem(".."), "");
  EXPECT_NE(ConfigMapKeyProblem("..data"), "");
}

TEST(ExamplesTest, EveryExampleDecodes) {
  for (const char* path : {"examples/updaterun-basic.yaml", "examples/cmdlet-example-1.yaml",
                           "examples/cmdlet-example-2.yaml", "examples/cmdlet-example-3.yaml"}) {
    SCOPED_TRACE(path);
    auto run = DecodeUpdateRun(Yaml(ReadFile(path)));
    EXPECT_TRUE(run.ok()) << run.status().ToString();
  }
}

}  // namespace
}  // namespace kcau::crd
