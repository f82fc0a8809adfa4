#include "crd/validation.h"

#include <gtest/gtest.h>

namespace kcau::crd {
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
       {"spec.maxFailedNodes",
        "must be between 0 and 2 (one less than the 3 selected nodes), got -1"}},
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
       {"spec.rebootTimeoutMinutes", "must be at least 1, got 0"}},
      {"drain timeout -1",
       [](UpdateRunSpec& s) { s.drain_timeout_minutes = -1; },
       {"spec.drainTimeoutMinutes", "must not be negative, got -1"}},
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

TEST(ValidationTest, FormatJoinsErrors) {
  EXPECT_EQ(FormatFieldErrors({{"spec.a", "bad"}, {"spec.b", "worse"}}),
            "spec.a: bad; spec.b: worse");
}

TEST(ValidationTest, DefaultsFollowTheCmdlet) {
  EXPECT_EQ(DefaultMaxFailedNodes(3), 1);
  EXPECT_EQ(DefaultMaxFailedNodes(2), 0);
  EXPECT_EQ(DefaultMaxFailedNodes(10), 3);
  EXPECT_EQ(DefaultMaxRetriesPerNode(), 3);
}

}  // namespace
}  // namespace kcau::crd
