// A run's first pass: the spec is checked against the cluster (unsupported fields, invalid
// values, sites without nodes, nodes offline), the plan is made, and the run either starts
// or, with whatIf, publishes its plan and ends. Pure.
#include <algorithm>
#include <map>

#include "crd/validation.h"
#include "reconcilers/label_match.h"
#include "reconcilers/node_order.h"
#include "reconcilers/planner/pass.h"
#include "reconcilers/planner/planner_messages.h"
#include "reconcilers/supported_fields.h"

namespace kcau::reconcilers::planner {

using crd::NodePhase;
using crd::RunPhase;

bool Pass::Start() {
  const auto& spec = run_.spec;
  std::vector<const NodeView*> selected;
  for (const auto& n : all_nodes_) {
    if (!spec.node_selector || SelectorMatches(*spec.node_selector, n.labels)) {
      selected.push_back(&n);
    }
  }
  std::vector<std::string> offline;
  for (const NodeView* n : selected) {
    if (!n->ready) offline.push_back(n->name);
  }
  if (RefuseToStart(selected, offline)) return false;

  auto& st = d_.status;
  st.plan = OrderNodes(spec, selected);
  st.nodes.clear();
  std::vector<std::string> to_update;
  for (const auto& name : st.plan) {
    NodeResult r;
    r.name = name;
    if (std::find(offline.begin(), offline.end(), name) != offline.end()) {
      // CAU skips nodes that are down when the run starts (RequireAllNodesOnline refuses).
      // A node without an agent would not have been updated either: said too, so the
      // message gives every reason there is.
      const NodeView* view = Find(name);
      const bool no_agent = view != nullptr && view->agent_version.empty() &&
                            !spec.skip_update_checks.value_or(false);
      r.phase = NodePhase::kSkipped;
      r.message = SkippedOfflineMessage(no_agent);
    } else {
      to_update.push_back(name);
    }
    st.nodes.push_back(r);
  }
  st.nodes_total = static_cast<int>(st.nodes.size());
  st.start_time = now_;
  const int width = MaxInFlight();
  const bool plugin_options = spec.run_plugins_serially.value_or(false) ||
                              spec.stop_on_plugin_failure.value_or(false) ||
                              spec.separate_reboots.value_or(false);
  if (plugin_options && spec.plugins.size() == 1) {
    // As the cmdlet warns, whatIf included: these only mean something between several
    // plug-ins.
    SetRunCondition(crd::kConditionWarning, ConditionStatus::kTrue, "SinglePlugin",
                    "runPluginsSerially, stopOnPluginFailure and separateReboots have no effect "
                    "with a single plug-in");
  }
  if (spec.what_if.value_or(false)) {
    PublishWhatIf(to_update, offline, width);
    return false;
  }
  st.phase = RunPhase::kRunning;
  SetRunCondition(crd::kConditionProgressing, ConditionStatus::kTrue, "Started", StartedMessage());
  SetRunCondition(crd::kConditionSucceeded, ConditionStatus::kFalse, "InProgress",
                  "run in progress");
  SetRunCondition(crd::kConditionFailed, ConditionStatus::kFalse, "InProgress", "run in progress");
  Event(RunEvent::Normal("RunStarted",
                         RunStartedMessage(to_update, width, FailureBudget(), offline)));
  return true;
}

// The checks before anything is planned; true when one refused the run (it then has ended).
bool Pass::RefuseToStart(const std::vector<const NodeView*>& selected,
                         const std::vector<std::string>& offline) {
  const auto& spec = run_.spec;
  std::vector<std::string> unsupported = UnsupportedFieldsIn(spec);
  if (!unsupported.empty()) {
    EndRun(RunPhase::kFailed, "Unsupported", UnsupportedFieldsMessage(unsupported));
    return true;
  }
  std::vector<std::string> names;
  for (const NodeView* n : selected) names.push_back(n->name);
  std::vector<crd::FieldError> errors = crd::ValidateUpdateRunSpec(spec, names);
  if (selected.empty()) {
    errors.push_back({"spec.nodeSelector", "selects no node"});
  }
  for (size_t i = 0; i < spec.site_aware_updating_order.size(); ++i) {
    const std::string& site = spec.site_aware_updating_order[i];
    const bool any = std::any_of(selected.begin(), selected.end(),
                                 [&](const NodeView* n) { return ZoneOf(*n) == site; });
    if (!any) {
      errors.push_back({"spec.siteAwareUpdatingOrder[" + std::to_string(i) + "]",
                        "no selected node is in site \"" + site + "\" (label " + kZoneLabel + ")"});
    }
  }
  if (!errors.empty()) {
    EndRun(RunPhase::kFailed, "Invalid", crd::FormatFieldErrors(errors));
    return true;
  }
  if (!offline.empty() && spec.require_all_nodes_online.value_or(false)) {
    EndRun(RunPhase::kFailed, "NodesOffline", NodesOfflineMessage(offline));
    return true;
  }
  return false;
}

std::string Pass::StartedMessage() const {
  return planner::StartedMessage(Scanning(), d_.status.nodes_total, MaxInFlight(), d_.status.plan);
}

// WhatIf: the plan, its waves and the skipped nodes go to status; nothing is touched.
void Pass::PublishWhatIf(const std::vector<std::string>& to_update,
                         const std::vector<std::string>& offline, int width) {
  auto& st = d_.status;
  st.batches = PredictBatches(to_update, all_nodes_, width, SiteAware());
  std::map<std::string, size_t> wave_of;
  for (size_t i = 0; i < st.batches.size(); ++i) {
    for (const auto& name : st.batches[i]) wave_of[name] = i + 1;
  }
  for (auto& r : st.nodes) {
    if (r.phase == NodePhase::kPending) {
      r.message = WhatIfNodeMessage(wave_of[r.name], st.batches.size());
    }
  }
  EndRun(RunPhase::kSucceeded, "WhatIf",
         WhatIfMessage(to_update, offline, st.batches.size(), width));
}

}  // namespace kcau::reconcilers::planner
