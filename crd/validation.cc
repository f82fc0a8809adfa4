#include "crd/validation.h"

#include <algorithm>
#include <set>

namespace kcau::crd {

namespace {

const std::set<std::string> kSelectorOperators = {"In", "NotIn", "Exists", "DoesNotExist"};

}  // namespace

const std::vector<std::string>& BuiltinPlugins() {
  static const std::vector<std::string> plugins = {"reboot-required", "packages", "script"};
  return plugins;
}

int DefaultMaxFailedNodes(int selected_nodes) { return std::max(0, selected_nodes / 3); }

int DefaultMaxRetriesPerNode() { return 3; }

std::vector<FieldError> ValidateUpdateRunSpec(const UpdateRunSpec& spec,
                                              const std::vector<std::string>& selected_nodes) {
  std::vector<FieldError> errors;
  auto add = [&](std::string field, std::string problem) {
    errors.push_back({std::move(field), std::move(problem)});
  };
  const int n = static_cast<int>(selected_nodes.size());
  const std::set<std::string> selected(selected_nodes.begin(), selected_nodes.end());

  if (spec.node_selector) {
    for (size_t i = 0; i < spec.node_selector->match_expressions.size(); ++i) {
      const auto& r = spec.node_selector->match_expressions[i];
      const std::string f = "spec.nodeSelector.matchExpressions[" + std::to_string(i) + "]";
      if (!kSelectorOperators.count(r.op)) {
        add(f + ".operator", "\"" + r.op + "\" is not one of In, NotIn, Exists, DoesNotExist");
      } else if ((r.op == "In" || r.op == "NotIn") && r.values.empty()) {
        add(f + ".values", "must not be empty for operator " + r.op);
      } else if ((r.op == "Exists" || r.op == "DoesNotExist") && !r.values.empty()) {
        add(f + ".values", "must be empty for operator " + r.op);
      }
    }
  }

  if (spec.plugins.empty()) {
    add("spec.plugins", "at least one plug-in is required (reboot-required, packages, script)");
  }
  std::set<std::string> seen_plugins;
  for (size_t i = 0; i < spec.plugins.size(); ++i) {
    const std::string f = "spec.plugins[" + std::to_string(i) + "].name";
    const std::string& name = spec.plugins[i].name;
    const auto& builtins = BuiltinPlugins();
    if (std::find(builtins.begin(), builtins.end(), name) == builtins.end()) {
      add(f, "unknown plug-in \"" + name + "\" (built in: reboot-required, packages, script)");
    } else if (!seen_plugins.insert(name).second) {
      add(f, "plug-in \"" + name + "\" is listed twice");
    }
  }

  if (spec.max_failed_nodes) {
    const int v = *spec.max_failed_nodes;
    if (v < 0 || (n > 0 && v >= n)) {
      add("spec.maxFailedNodes", "must be between 0 and " + std::to_string(std::max(0, n - 1)) +
                                     " (one less than the " + std::to_string(n) +
                                     " selected nodes), got " + std::to_string(v));
    }
  }
  if (spec.max_retries_per_node &&
      (*spec.max_retries_per_node < 0 || *spec.max_retries_per_node > 64)) {
    add("spec.maxRetriesPerNode",
        "must be between 0 and 64, got " + std::to_string(*spec.max_retries_per_node));
  }

  std::set<std::string> seen_nodes;
  for (size_t i = 0; i < spec.node_order.size(); ++i) {
    const std::string f = "spec.nodeOrder[" + std::to_string(i) + "]";
    const std::string& name = spec.node_order[i];
    if (!selected.count(name)) {
      add(f, "node \"" + name + "\" does not exist or is not selected by spec.nodeSelector");
    } else if (!seen_nodes.insert(name).second) {
      add(f, "node \"" + name + "\" is listed twice");
    }
  }
  if (!spec.node_order.empty() && !spec.site_aware_updating_order.empty()) {
    add("spec.siteAwareUpdatingOrder",
        "cannot be combined with spec.nodeOrder (the cmdlet's NodeOrder and "
        "SiteAwareUpdatingOrder exclude each other)");
  }

  if (spec.reboot_timeout_minutes && *spec.reboot_timeout_minutes < 1) {
    add("spec.rebootTimeoutMinutes",
        "must be at least 1, got " + std::to_string(*spec.reboot_timeout_minutes));
  }
  if (spec.drain_timeout_minutes && *spec.drain_timeout_minutes < 0) {
    add("spec.drainTimeoutMinutes",
        "must not be negative, got " + std::to_string(*spec.drain_timeout_minutes));
  }
  if (spec.warn_after && spec.stop_after && *spec.stop_after <= *spec.warn_after) {
    add("spec.stopAfter", "must be later than spec.warnAfter");
  }
  if (spec.drain == DrainMode::kSkip && spec.force_reboot.value_or(false)) {
    add("spec.forceReboot",
        "requires drain Force (ForcePauseDrainAndReboot drains); drain Skip never drains");
  }
  if (spec.max_unavailable) {
    const auto& m = *spec.max_unavailable;
    if (m.value < 1 || (m.percent && m.value > 100)) {
      add("spec.maxUnavailable", m.percent ? "must be between 1% and 100%" : "must be at least 1");
    }
  }
  if (spec.os_rolling_upgrade.value_or(false)) {
    // OsRollingUpgrade: one node at a time, never skipping the drain.
    if (spec.drain == DrainMode::kSkip) {
      add("spec.drain", "Skip is not allowed with osRollingUpgrade (an OS upgrade always drains)");
    }
    if (spec.max_unavailable &&
        (spec.max_unavailable->percent || spec.max_unavailable->value != 1)) {
      add("spec.maxUnavailable", "must be 1 with osRollingUpgrade (one node at a time)");
    }
  }
  for (const auto& [hook, field] : {std::pair{&spec.pre_update_hook, "spec.preUpdateHook"},
                                    std::pair{&spec.post_update_hook, "spec.postUpdateHook"}}) {
    if (!*hook) continue;
    if ((*hook)->config_map.empty()) add(std::string(field) + ".configMap", "must not be empty");
    if ((*hook)->key.empty()) add(std::string(field) + ".key", "must not be empty");
  }
  return errors;
}

std::string FormatFieldErrors(const std::vector<FieldError>& errors) {
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += "; ";
    out += e.field + ": " + e.problem;
  }
  return out;
}

}  // namespace kcau::crd
