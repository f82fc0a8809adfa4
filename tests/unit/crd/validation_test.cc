#include "crd/validation.h"

#include <gtest/gtest.h>

#include <functional>
#include <ostream>

#include "crd/duration.h"

namespace kcau::crd {

// Readable failures: "{spec.a: problem}" instead of the struct's bytes.
void PrintTo(const FieldError& e, std::ostream* os) {
  *os << "{" << e.field << ": " << e.problem << "}";
}

namespace {

const std::vector<std::string> kNodes = {"node-1", "node-2", "node-3"};

UpdateRunSpec Valid() {
  UpdateRunSpec s;
  s.plugins = {{"packages", {}}};
  return s;
}

TEST(ValidationTest, ValidSpecHasNoErrors) {
  UpdateRunSpec s = Valid();
  s.max_failed_nodes = 2;
  s.max_retries_per_node = 64;
  s.node_order = {"node-3", "node-1"};
  EXPECT_TRUE(ValidateUpdateRunSpec(s, kNodes).empty());
}

TEST(ValidationTest, EachRuleNamesItsField) {
  struct Case {
    std::string name;
    std::function<void(UpdateRunSpec&)> mutate;
    FieldError want;
  };
  const std::vector<Case> cases = {
      {"no plugins",
       [](UpdateRunSpec& s) { s.plugins.clear(); },
       {"spec.plugins", "at least one plug-in is required (reboot-required, packages, script)"}},
      {"unknown plugin",
       [](UpdateRunSpec& s) {
         s.plugins = {{"windows-update", {}}};
       },
       {"spec.plugins[0].name",
        "unknown plug-in \"windows-update\" (built in: reboot-required, packages, script)"}},
      {"duplicate plugin",
       [](UpdateRunSpec& s) {
         s.plugins.push_back({"packages", {}});
       },
       {"spec.plugins[1].name", "plug-in \"packages\" is listed twice"}},
      {"negative maxFailedNodes",
       [](UpdateRunSpec& s) { s.max_failed_nodes = -1; },
       {"spec.maxFailedNodes", "must be between 0 and 5000, got -1"}},
      {"maxFailedNodes = nodes",
       [](UpdateRunSpec& s) { s.max_failed_nodes = 3; },
       {"spec.maxFailedNodes",
        "must be between 0 and 2 (one less than the 3 selected nodes), got 3"}},
      {"maxRetries 65",
       [](UpdateRunSpec& s) { s.max_retries_per_node = 65; },
       {"spec.maxRetriesPerNode", "must be between 0 and 64, got 65"}},
      {"unknown node",
       [](UpdateRunSpec& s) {
         s.node_order = {"node-1", "ghost"};
       },
       {"spec.nodeOrder[1]",
        "node \"ghost\" does not exist or is not selected by spec.nodeSelector"}},
      {"node twice",
       [](UpdateRunSpec& s) {
         s.node_order = {"node-1", "node-1"};
       },
       {"spec.nodeOrder[1]", "node \"node-1\" is listed twice"}},
      {"order and sites",
       [](UpdateRunSpec& s) {
         s.node_order = {"node-1"};
         s.site_aware_updating_order = {"zone-a"};
       },
       {"spec.siteAwareUpdatingOrder",
        "cannot be combined with spec.nodeOrder (the cmdlet's NodeOrder and "
        "SiteAwareUpdatingOrder exclude each other)"}},
      {"reboot timeout 0",
       [](UpdateRunSpec& s) { s.reboot_timeout_minutes = 0; },
       {"spec.rebootTimeoutMinutes", "must be between 1 and 10080, got 0"}},
      {"drain timeout -1",
       [](UpdateRunSpec& s) { s.drain_timeout_minutes = -1; },
       {"spec.drainTimeoutMinutes", "must be between 0 and 10080, got -1"}},
      {"agent timeout 0",
       [](UpdateRunSpec& s) { s.agent_timeout_minutes = 0; },
       {"spec.agentTimeoutMinutes", "must be between 1 and 1440, got 0"}},
      {"agent timeout a day and a minute",
       [](UpdateRunSpec& s) { s.agent_timeout_minutes = 1441; },
       {"spec.agentTimeoutMinutes", "must be between 1 and 1440, got 1441"}},
      {"stop before warn",
       [](UpdateRunSpec& s) {
         s.warn_after = std::chrono::hours(2);
         s.stop_after = std::chrono::hours(1);
       },
       {"spec.stopAfter", "must be later than spec.warnAfter"}},
      {"skip drain + reboot",
       [](UpdateRunSpec& s) {
         s.drain = DrainMode::kSkip;
         s.force_reboot = true;
       },
       {"spec.forceReboot",
        "requires drain Force (ForcePauseDrainAndReboot drains); drain Skip never drains"}},
      {"osRollingUpgrade with drain Skip",
       [](UpdateRunSpec& s) {
         s.os_rolling_upgrade = true;
         s.drain = DrainMode::kSkip;
       },
       {"spec.drain", "Skip is not allowed with osRollingUpgrade (an OS upgrade always drains)"}},
      {"osRollingUpgrade two at a time",
       [](UpdateRunSpec& s) {
         s.os_rolling_upgrade = true;
         s.max_unavailable = IntOrPercent{2, false};
       },
       {"spec.maxUnavailable", "must be 1 with osRollingUpgrade (one node at a time)"}},
      {"maxUnavailable 0%",
       [](UpdateRunSpec& s) {
         s.max_unavailable = IntOrPercent{0, true};
       },
       {"spec.maxUnavailable", "must be between 1% and 100%"}},
      {"empty hook key",
       [](UpdateRunSpec& s) {
         s.pre_update_hook = HookSpec{"hooks", "", std::nullopt};
       },
       {"spec.preUpdateHook.key", "must not be empty"}},
      {"bad selector operator",
       [](UpdateRunSpec& s) {
         s.node_selector = LabelSelector{{}, {{"zone", "Equals", {"a"}}}};
       },
       {"spec.nodeSelector.matchExpressions[0].operator",
        "\"Equals\" is not one of In, NotIn, Exists, DoesNotExist"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    UpdateRunSpec s = Valid();
    c.mutate(s);
    EXPECT_EQ(ValidateUpdateRunSpec(s, kNodes), (std::vector<FieldError>{c.want}));
  }
}

// Inputs an adversarial test sent: values out of range, and sizes that would not fit where
// kcau copies them (Node annotations, Events). Each is refused naming its field.
TEST(ValidationTest, OutOfRangeAndOversizedInputsAreRefused) {
  struct Case {
    std::string name;
    std::function<void(UpdateRunSpec&)> mutate;
    FieldError want;
  };
  const std::string kNotDns =
      " is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', each "
      "'.'-separated part starting and ending with a letter or digit)";
  const std::string kNotLabelValue =
      " is not a label value (letters, digits, '-', '_' and '.', starting and ending with a "
      "letter or digit)";
  const std::vector<Case> cases = {
      // Timers: zero fires at once; the parser refuses more than 10 years, and a spec built
      // in code is checked too.
      {"warnAfter 0s",
       [](UpdateRunSpec& s) { s.warn_after = Duration::zero(); },
       {"spec.warnAfter", "must be longer than 0s, got 0s"}},
      {"stopAfter 0s",
       [](UpdateRunSpec& s) { s.stop_after = Duration::zero(); },
       {"spec.stopAfter", "must be longer than 0s, got 0s"}},
      {"stopAfter 11 years",
       [](UpdateRunSpec& s) { s.stop_after = kMaxDuration + std::chrono::hours(24 * 365); },
       {"spec.stopAfter", "must be at most 10 years (87600h)"}},
      {"settle delay 10 years and 1 ms",
       [](UpdateRunSpec& s) {
         s.settle = SettleSpec{std::nullopt, kMaxDuration + std::chrono::milliseconds(1)};
       },
       {"spec.settle.delay", "must be at most 10 years (87600h)"}},
      // Integers: the CRD's minimum/maximum (codec_test checks they agree).
      {"rebootTimeoutMinutes huge",
       [](UpdateRunSpec& s) { s.reboot_timeout_minutes = 2147483647; },
       {"spec.rebootTimeoutMinutes", "must be between 1 and 10080, got 2147483647"}},
      {"drainTimeoutMinutes a week and a minute",
       [](UpdateRunSpec& s) { s.drain_timeout_minutes = 10081; },
       {"spec.drainTimeoutMinutes", "must be between 0 and 10080, got 10081"}},
      {"hook timeout 0",
       [](UpdateRunSpec& s) {
         s.pre_update_hook = HookSpec{"hooks", "pre.sh", 0};
       },
       {"spec.preUpdateHook.timeoutSeconds", "must be between 1 and 86400, got 0"}},
      {"hook timeout over a day",
       [](UpdateRunSpec& s) {
         s.post_update_hook = HookSpec{"hooks", "post.sh", 86401};
       },
       {"spec.postUpdateHook.timeoutSeconds", "must be between 1 and 86400, got 86401"}},
      {"maxRetriesPerNode -1",
       [](UpdateRunSpec& s) { s.max_retries_per_node = -1; },
       {"spec.maxRetriesPerNode", "must be between 0 and 64, got -1"}},
      {"maxFailedNodes above any cluster",
       [](UpdateRunSpec& s) { s.max_failed_nodes = 5001; },
       {"spec.maxFailedNodes", "must be between 0 and 5000, got 5001"}},
      {"runAsUser negative",
       [](UpdateRunSpec& s) {
         s.hook_runner = HookRunnerSpec{"", -1};
       },
       {"spec.hookRunner.runAsUser", "must be between 0 and 2147483647, got -1"}},
      {"runAsUser beyond int32",
       [](UpdateRunSpec& s) {
         s.hook_runner = HookRunnerSpec{"", 4294967296};
       },
       {"spec.hookRunner.runAsUser", "must be between 0 and 2147483647, got 4294967296"}},
      // Names sent to the API server and the node agent as they are.
      {"service account walks out of its namespace",
       [](UpdateRunSpec& s) {
         s.hook_runner = HookRunnerSpec{"../../kube-system/admin", 1000};
       },
       {"spec.hookRunner.serviceAccountName", "\"../../kube-system/admin\"" + kNotDns}},
      {"hook configMap path",
       [](UpdateRunSpec& s) {
         s.pre_update_hook = HookSpec{"../secrets", "pre.sh", 60};
       },
       {"spec.preUpdateHook.configMap", "\"../secrets\"" + kNotDns}},
      {"hook key with a slash",
       [](UpdateRunSpec& s) {
         s.post_update_hook = HookSpec{"hooks", "a/b.sh", 60};
       },
       {"spec.postUpdateHook.key",
        "\"a/b.sh\" is not a ConfigMap key (letters, digits, '-', '_' and '.' only)"}},
      {"hook key ..",
       [](UpdateRunSpec& s) {
         s.post_update_hook = HookSpec{"hooks", "..data", 60};
       },
       {"spec.postUpdateHook.key",
        "\"..data\" is not a ConfigMap key (must not be '.' or start with '..')"}},
      {"hook key 254 characters",
       [](UpdateRunSpec& s) {
         s.pre_update_hook = HookSpec{"hooks", std::string(254, 'k'), 60};
       },
       {"spec.preUpdateHook.key", "is 254 characters long, at most 253 allowed"}},
      // Plug-in arguments travel to every node in one annotation.
      {"17 plug-ins",
       [](UpdateRunSpec& s) {
         s.plugins.assign(17, PluginSpec{"packages", {}});
       },
       {"spec.plugins", "at most 16 plug-ins, got 17"}},
      {"argument value over 16 KiB",
       [](UpdateRunSpec& s) {
         s.plugins[0].arguments["QueryString"] = std::string(16 * 1024 + 1, 'x');
       },
       {"spec.plugins[0].arguments.QueryString", "is 16385 bytes long, at most 16384 (16 KiB)"}},
      {"arguments over 64 KiB together",
       [](UpdateRunSpec& s) {
         for (int i = 0; i < 5; ++i) {
           s.plugins[0].arguments["a" + std::to_string(i)] = std::string(16 * 1024 - 2, 'x');
         }
       },
       {"spec.plugins",
        "the plug-ins' arguments take 81920 bytes together, at most 65536 (64 KiB): they are "
        "copied onto each node in an annotation"}},
      {"argument name 254 characters",
       [](UpdateRunSpec& s) { s.plugins[0].arguments[std::string(254, 'n')] = "1"; },
       {"spec.plugins[0].arguments", "argument name \"" + std::string(64, 'n') +
                                         "...\" (254 characters) is longer than 253 characters"}},
      {"empty argument name",
       [](UpdateRunSpec& s) { s.plugins[0].arguments[""] = "1"; },
       {"spec.plugins[0].arguments", "an argument name must not be empty"}},
      {"65 arguments",
       [](UpdateRunSpec& s) {
         for (int i = 0; i < 65; ++i) s.plugins[0].arguments["a" + std::to_string(i)] = "1";
       },
       {"spec.plugins[0].arguments", "at most 64 arguments, got 65"}},
      // Node names, sites and selectors end up in Events, status and Leases.
      {"nodeOrder not a node name",
       [](UpdateRunSpec& s) {
         s.node_order = {"node-1", "Node_2"};
       },
       {"spec.nodeOrder[1]", "\"Node_2\"" + kNotDns}},
      {"nodeOrder 254 characters",
       [](UpdateRunSpec& s) { s.node_order = {std::string(254, 'n')}; },
       {"spec.nodeOrder[0]", "is 254 characters long, at most 253 allowed"}},
      {"site 64 characters",
       [](UpdateRunSpec& s) { s.site_aware_updating_order = {std::string(64, 'z')}; },
       {"spec.siteAwareUpdatingOrder[0]", "is 64 characters long, at most 63 allowed"}},
      {"site not a label value",
       [](UpdateRunSpec& s) { s.site_aware_updating_order = {"zone a"}; },
       {"spec.siteAwareUpdatingOrder[0]", "\"zone a\"" + kNotLabelValue}},
      {"empty site",
       [](UpdateRunSpec& s) { s.site_aware_updating_order = {""}; },
       {"spec.siteAwareUpdatingOrder[0]", "must not be empty"}},
      {"65 sites",
       [](UpdateRunSpec& s) {
         for (int i = 0; i < 65; ++i)
           s.site_aware_updating_order.push_back("z" + std::to_string(i));
       },
       {"spec.siteAwareUpdatingOrder", "at most 64 sites, got 65"}},
      {"selector label key",
       [](UpdateRunSpec& s) {
         s.node_selector = LabelSelector{{{"pool name", "workers"}}, {}};
       },
       {"spec.nodeSelector.matchLabels",
        "key \"pool name\" is not a label key ([prefix/]name; name: letters, digits, '-', '_' "
        "and '.', starting and ending with a letter or digit)"}},
      {"selector label key prefix",
       [](UpdateRunSpec& s) {
         s.node_selector = LabelSelector{{{"Example.com/pool", "workers"}}, {}};
       },
       {"spec.nodeSelector.matchLabels",
        "key \"Example.com/pool\": prefix \"Example.com\"" + kNotDns}},
      {"selector label value 64 characters",
       [](UpdateRunSpec& s) {
         s.node_selector = LabelSelector{{{"pool", std::string(64, 'w')}}, {}};
       },
       {"spec.nodeSelector.matchLabels.pool", "is 64 characters long, at most 63 allowed"}},
      {"selector expression key name too long",
       [](UpdateRunSpec& s) {
         s.node_selector = LabelSelector{{}, {{"kcau.io/" + std::string(64, 'k'), "Exists", {}}}};
       },
       {"spec.nodeSelector.matchExpressions[0].key",
        "\"kcau.io/" + std::string(56, 'k') +
            "...\" (72 characters): name is 64 characters long, at most 63 allowed"}},
      {"selector expression value",
       [](UpdateRunSpec& s) {
         s.node_selector = LabelSelector{{}, {{"zone", "In", {"a", "b/c"}}}};
       },
       {"spec.nodeSelector.matchExpressions[0].values[1]", "\"b/c\"" + kNotLabelValue}},
      {"65 matchLabels",
       [](UpdateRunSpec& s) {
         LabelSelector sel;
         for (int i = 0; i < 65; ++i) sel.match_labels["l" + std::to_string(i)] = "v";
         s.node_selector = sel;
       },
       {"spec.nodeSelector.matchLabels", "at most 64 labels, got 65"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    UpdateRunSpec s = Valid();
    c.mutate(s);
    EXPECT_EQ(ValidateUpdateRunSpec(s, kNodes), (std::vector<FieldError>{c.want}));
  }
}

TEST(ValidationTest, NodeOrderOfMoreNodesThanAnyClusterIsRefused) {
  UpdateRunSpec s = Valid();
  std::vector<std::string> nodes;
  for (int i = 0; i < 5001; ++i) nodes.push_back("node-" + std::to_string(i));
  s.node_order = nodes;
  EXPECT_EQ(ValidateUpdateRunSpec(s, nodes),
            (std::vector<FieldError>{{"spec.nodeOrder", "at most 5000 nodes, got 5001"}}));
}

TEST(ValidationTest, LimitsThemselvesAreAccepted) {
  UpdateRunSpec s = Valid();
  s.plugins[0].arguments[std::string(253, 'n')] = std::string(16 * 1024, 'v');
  s.node_order = {"node-1"};
  s.stop_after = kMaxDuration;
  s.warn_after = std::chrono::milliseconds(1);
  s.settle = SettleSpec{true, Duration::zero()};  // no delay between nodes
  s.reboot_timeout_minutes = 10080;
  s.drain_timeout_minutes = 0;
  s.pre_update_hook = HookSpec{"kcau.hooks", "pre_1.sh", 86400};
  s.hook_runner = HookRunnerSpec{"hooks-sa", 2147483647};
  s.node_selector = LabelSelector{{{"kubernetes.io/hostname", std::string(63, 'h')}}, {}};
  EXPECT_EQ(ValidateUpdateRunSpec(s, kNodes), std::vector<FieldError>{});
}

// A value that broke a size rule is described by its length, not copied whole into the
// message (which becomes a condition and an Event).
TEST(ValidationTest, OversizedValuesAreNotCopiedIntoMessages) {
  const std::string mib(1 << 20, 'x');
  UpdateRunSpec s = Valid();
  s.plugins = {{mib, {{"a", mib}}}};
  s.node_order = {mib};
  s.site_aware_updating_order = {mib};
  s.node_selector = LabelSelector{{{mib, "v"}}, {{mib, mib, {mib}}}};
  s.pre_update_hook = HookSpec{mib, mib, 60};
  s.hook_runner = HookRunnerSpec{mib, 1000};
  const std::string message = FormatFieldErrors(ValidateUpdateRunSpec(s, kNodes));
  EXPECT_NE(message.find("spec.plugins[0].arguments.a"), std::string::npos) << message;
  EXPECT_NE(message.find("spec.hookRunner.serviceAccountName"), std::string::npos) << message;
  EXPECT_LT(message.size(), 4096u) << message.substr(0, 4096);
}

TEST(ValidationTest, FormatJoinsErrors) {
  EXPECT_EQ(FormatFieldErrors({{"spec.a", "bad"}, {"spec.b", "worse"}}),
            "spec.a: bad; spec.b: worse");
}

TEST(ValidationTest, FormatStopsAfterTwentyErrors) {
  UpdateRunSpec s = Valid();
  for (int i = 0; i < 5000; ++i) s.node_order.push_back("ghost-" + std::to_string(i));
  const std::vector<FieldError> errors = ValidateUpdateRunSpec(s, kNodes);
  ASSERT_EQ(errors.size(), 5000u);
  const std::string message = FormatFieldErrors(errors);
  EXPECT_EQ(message.find("spec.nodeOrder[20]"), std::string::npos);
  EXPECT_NE(message.find("spec.nodeOrder[19]: node \"ghost-19\" does not exist"),
            std::string::npos);
  EXPECT_EQ(message.substr(message.size() - 15), "; and 4980 more") << message;
}

TEST(ValidationTest, DefaultsFollowTheCmdlet) {
  EXPECT_EQ(DefaultMaxFailedNodes(3), 1);
  EXPECT_EQ(DefaultMaxFailedNodes(2), 0);
  EXPECT_EQ(DefaultMaxFailedNodes(10), 3);
  EXPECT_EQ(DefaultMaxRetriesPerNode(), 3);
}

}  // namespace
}  // namespace kcau::crd
