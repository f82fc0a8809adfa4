#include "crd/validation.h"

#include <algorithm>
#include <functional>
#include <set>

#include "crd/duration.h"
#include "crd/k8s_names.h"

namespace kcau::crd {

namespace {

const std::set<std::string> kSelectorOperators = {"In", "NotIn", "Exists", "DoesNotExist"};

std::string Count(size_t n) { return std::to_string(n); }

template <typename T>
std::optional<int64_t> Widen(const std::optional<T>& v) {
  return v ? std::optional<int64_t>(*v) : std::nullopt;
}

std::optional<int64_t> HookTimeout(const std::optional<HookSpec>& hook) {
  return hook ? Widen(hook->timeout_seconds) : std::nullopt;
}

using FieldAdder = std::function<void(std::string, std::string)>;

// False (and the problem added) when a list or map has more than `max` items. Its items are
// then not looked at one by one: a problem per item of an oversized list would make a
// message as large as the list.
bool WithinCount(const std::string& field, size_t count, size_t max, const char* items,
                 const FieldAdder& add) {
  if (count <= max) return true;
  add(field, "at most " + Count(max) + " " + items + ", got " + Count(count));
  return false;
}

void ValidateSelector(const LabelSelector& selector, const FieldAdder& add) {
  const std::string labels = "spec.nodeSelector.matchLabels";
  if (WithinCount(labels, selector.match_labels.size(), kMaxSelectorTerms, "labels", add)) {
    for (const auto& [key, value] : selector.match_labels) {
      if (const std::string p = LabelKeyProblem(key); !p.empty()) {
        add(labels, "key " + p);
      } else if (const std::string vp = LabelValueProblem(value); !vp.empty()) {
        add(labels + "." + key, vp);
      }
    }
  }
  const std::string exprs = "spec.nodeSelector.matchExpressions";
  if (!WithinCount(exprs, selector.match_expressions.size(), kMaxSelectorTerms, "expressions",
                   add)) {
    return;
  }
  for (size_t i = 0; i < selector.match_expressions.size(); ++i) {
    const auto& r = selector.match_expressions[i];
    const std::string f = exprs + "[" + std::to_string(i) + "]";
    if (const std::string p = LabelKeyProblem(r.key); !p.empty()) add(f + ".key", p);
    if (!kSelectorOperators.count(r.op)) {
      add(f + ".operator", Quoted(r.op) + " is not one of In, NotIn, Exists, DoesNotExist");
    } else if ((r.op == "In" || r.op == "NotIn") && r.values.empty()) {
      add(f + ".values", "must not be empty for operator " + r.op);
    } else if ((r.op == "Exists" || r.op == "DoesNotExist") && !r.values.empty()) {
      add(f + ".values", "must be empty for operator " + r.op);
    }
    if (!WithinCount(f + ".values", r.values.size(), kMaxSelectorValues, "values", add)) continue;
    for (size_t j = 0; j < r.values.size(); ++j) {
      if (const std::string p = LabelValueProblem(r.values[j]); !p.empty()) {
        add(f + ".values[" + std::to_string(j) + "]", p);
      }
    }
  }
}

void ValidatePlugins(const std::vector<PluginSpec>& plugins, const FieldAdder& add) {
  if (plugins.empty()) {
    add("spec.plugins", "at least one plug-in is required (reboot-required, packages, script)");
  }
  if (!WithinCount("spec.plugins", plugins.size(), kMaxPlugins, "plug-ins", add)) return;
  std::set<std::string> seen;
  size_t total = 0;
  for (size_t i = 0; i < plugins.size(); ++i) {
    const std::string f = "spec.plugins[" + std::to_string(i) + "]";
    const std::string& name = plugins[i].name;
    const auto& builtins = BuiltinPlugins();
    if (std::find(builtins.begin(), builtins.end(), name) == builtins.end()) {
      add(f + ".name",
          "unknown plug-in " + Quoted(name) + " (built in: reboot-required, packages, script)");
    } else if (!seen.insert(name).second) {
      add(f + ".name", "plug-in \"" + name + "\" is listed twice");
    }
    const auto& arguments = plugins[i].arguments;
    if (!WithinCount(f + ".arguments", arguments.size(), kMaxPluginArguments, "arguments", add)) {
      continue;
    }
    for (const auto& [key, value] : arguments) {
      total += key.size() + value.size();
      if (key.empty()) {
        add(f + ".arguments", "an argument name must not be empty");
      } else if (key.size() > kMaxPluginArgumentNameLength) {
        add(f + ".arguments", "argument name " + Quoted(key) + " is longer than " +
                                  Count(kMaxPluginArgumentNameLength) + " characters");
      } else if (value.size() > kMaxPluginArgumentValueLength) {
        add(f + ".arguments." + key, "is " + Count(value.size()) + " bytes long, at most " +
                                         Count(kMaxPluginArgumentValueLength) + " (16 KiB)");
      }
    }
  }
  if (total > kMaxPluginArgumentsTotal) {
    add("spec.plugins", "the plug-ins' arguments take " + Count(total) +
                            " bytes together, at most " + Count(kMaxPluginArgumentsTotal) +
                            " (64 KiB): they are copied onto each node in an annotation");
  }
}

// Node names, each one of the selected nodes, once.
void ValidateNodeOrder(const std::vector<std::string>& order, const std::set<std::string>& selected,
                       const FieldAdder& add) {
  if (!WithinCount("spec.nodeOrder", order.size(), kMaxNodeOrder, "nodes", add)) return;
  std::set<std::string> seen;
  for (size_t i = 0; i < order.size(); ++i) {
    const std::string f = "spec.nodeOrder[" + std::to_string(i) + "]";
    const std::string& name = order[i];
    if (const std::string p = DnsSubdomainProblem(name); !p.empty()) {
      add(f, p);
    } else if (!selected.count(name)) {
      add(f, "node \"" + name + "\" does not exist or is not selected by spec.nodeSelector");
    } else if (!seen.insert(name).second) {
      add(f, "node \"" + name + "\" is listed twice");
    }
  }
}

void ValidateDurations(const UpdateRunSpec& spec, const FieldAdder& add) {
  struct Timer {
    const std::optional<Duration>* value;
    const char* field;
    bool zero_allowed;  // a zero settle delay is no delay; a zero timer fires at once
  };
  const std::optional<Duration> no_delay;
  for (const Timer& t :
       {Timer{&spec.warn_after, "spec.warnAfter", false},
        Timer{&spec.stop_after, "spec.stopAfter", false},
        Timer{spec.settle ? &spec.settle->delay : &no_delay, "spec.settle.delay", true}}) {
    if (!*t.value) continue;
    const Duration d = **t.value;
    if (d < Duration::zero() || (!t.zero_allowed && d == Duration::zero())) {
      add(t.field, std::string("must be longer than 0s, got ") + FormatDuration(d));
    } else if (d > kMaxDuration) {
      add(t.field, std::string("must be at most ") + kMaxDurationText);
    }
  }
}

}  // namespace

const std::vector<IntegerField>& SpecIntegerFields() {
  constexpr int64_t kWeekOfMinutes = 7 * 24 * 60;
  constexpr int64_t kDayOfMinutes = 24 * 60;
  constexpr int64_t kDayOfSeconds = 24 * 60 * 60;
  static const std::vector<IntegerField> fields = {
      {"spec.maxFailedNodes", 0, static_cast<int64_t>(kMaxNodeOrder),
       [](const UpdateRunSpec& s) { return Widen(s.max_failed_nodes); }},
      {"spec.maxRetriesPerNode", 0, 64,
       [](const UpdateRunSpec& s) { return Widen(s.max_retries_per_node); }},
      {"spec.rebootTimeoutMinutes", 1, kWeekOfMinutes,
       [](const UpdateRunSpec& s) { return Widen(s.reboot_timeout_minutes); }},
      {"spec.drainTimeoutMinutes", 0, kWeekOfMinutes,
       [](const UpdateRunSpec& s) { return Widen(s.drain_timeout_minutes); }},
      // A day: an agent silent for longer is not coming back on its own.
      {"spec.agentTimeoutMinutes", 1, kDayOfMinutes,
       [](const UpdateRunSpec& s) { return Widen(s.agent_timeout_minutes); }},
      {"spec.preUpdateHook.timeoutSeconds", 1, kDayOfSeconds,
       [](const UpdateRunSpec& s) { return HookTimeout(s.pre_update_hook); }},
      {"spec.postUpdateHook.timeoutSeconds", 1, kDayOfSeconds,
       [](const UpdateRunSpec& s) { return HookTimeout(s.post_update_hook); }},
      // Kubernetes' own bounds for runAsUser (a pod's securityContext).
      {"spec.hookRunner.runAsUser", 0, 2147483647,
       [](const UpdateRunSpec& s) {
         return s.hook_runner ? s.hook_runner->run_as_user : std::nullopt;
       }},
  };
  return fields;
}

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

  if (spec.node_selector) ValidateSelector(*spec.node_selector, add);
  ValidatePlugins(spec.plugins, add);

  std::set<std::string> out_of_bounds;
  for (const IntegerField& field : SpecIntegerFields()) {
    const std::optional<int64_t> v = field.value(spec);
    if (!v || (*v >= field.minimum && *v <= field.maximum)) continue;
    out_of_bounds.insert(field.path);
    add(field.path, "must be between " + std::to_string(field.minimum) + " and " +
                        std::to_string(field.maximum) + ", got " + std::to_string(*v));
  }
  if (spec.max_failed_nodes && !out_of_bounds.count("spec.maxFailedNodes") && n > 0 &&
      *spec.max_failed_nodes >= n) {
    add("spec.maxFailedNodes",
        "must be between 0 and " + std::to_string(n - 1) + " (one less than the " +
            std::to_string(n) + " selected nodes), got " + std::to_string(*spec.max_failed_nodes));
  }

  ValidateNodeOrder(spec.node_order, selected, add);
  if (WithinCount("spec.siteAwareUpdatingOrder", spec.site_aware_updating_order.size(), kMaxSites,
                  "sites", add)) {
    for (size_t i = 0; i < spec.site_aware_updating_order.size(); ++i) {
      const std::string& site = spec.site_aware_updating_order[i];
      const std::string p = site.empty() ? "must not be empty" : LabelValueProblem(site);
      if (!p.empty()) add("spec.siteAwareUpdatingOrder[" + std::to_string(i) + "]", p);
    }
  }
  if (!spec.node_order.empty() && !spec.site_aware_updating_order.empty()) {
    add("spec.siteAwareUpdatingOrder",
        "cannot be combined with spec.nodeOrder (the cmdlet's NodeOrder and "
        "SiteAwareUpdatingOrder exclude each other)");
  }

  ValidateDurations(spec, add);
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
    // The decoder checks these too (they name an object before validation runs); a spec
    // built in code passes here.
    if (const std::string p = DnsSubdomainProblem((*hook)->config_map); !p.empty()) {
      add(std::string(field) + ".configMap", p);
    }
    if (const std::string p = ConfigMapKeyProblem((*hook)->key); !p.empty()) {
      add(std::string(field) + ".key", p);
    }
  }
  if (spec.hook_runner && !spec.hook_runner->service_account_name.empty()) {
    if (const std::string p = DnsSubdomainProblem(spec.hook_runner->service_account_name);
        !p.empty()) {
      add("spec.hookRunner.serviceAccountName", p);
    }
  }
  return errors;
}

std::string FormatFieldErrors(const std::vector<FieldError>& errors) {
  std::string out;
  for (size_t i = 0; i < errors.size() && i < kMaxReportedErrors; ++i) {
    if (!out.empty()) out += "; ";
    out += errors[i].field + ": " + errors[i].problem;
  }
  if (errors.size() > kMaxReportedErrors) {
    out += "; and " + std::to_string(errors.size() - kMaxReportedErrors) + " more";
  }
  return out;
}

}  // namespace kcau::crd
