// Fixture builders for reconciler tests: MakeNode("n1").Zone("a").Pods(2).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "crd/updaterun_codec.h"
#include "crd/updaterun_types.h"
#include "reconcilers/node_view.h"

namespace kcau::reconcilers::testing {

class MakeNode {
 public:
  explicit MakeNode(std::string name) {
    v_.name = std::move(name);
    v_.ready = true;
    v_.boot_id = v_.name + "-boot-1";
    v_.agent_version = KCAU_VERSION;
    v_.evictable_pods = 0;
  }
  MakeNode& Label(const std::string& k, const std::string& v) {
    v_.labels.Set(k, v);
    return *this;
  }
  MakeNode& Zone(const std::string& zone) { return Label("topology.kubernetes.io/zone", zone); }
  MakeNode& ControlPlane() { return Label("node-role.kubernetes.io/control-plane", ""); }
  MakeNode& Pods(int n) {
    v_.evictable_pods = n;
    return *this;
  }
  MakeNode& Cordoned(bool c = true) {
    v_.unschedulable = c;
    return *this;
  }
  MakeNode& Agent(std::string version) {
    v_.agent_version = std::move(version);
    return *this;
  }
  MakeNode& NoAgent() {
    v_.agent_version.clear();
    return *this;
  }
  MakeNode& Pressure(const std::string& condition) {
    v_.pressure.push_back(condition);
    return *this;
  }
  MakeNode& NotReady() {
    v_.ready = false;
    return *this;
  }
  MakeNode& BootId(std::string id) {
    v_.boot_id = std::move(id);
    return *this;
  }
  operator NodeView() const { return v_; }  // NOLINT: builder

 private:
  NodeView v_;
};

class MakeRun {
 public:
  explicit MakeRun(std::string name = "run") {
    r_.name = std::move(name);
    r_.uid = "uid-1";
    r_.generation = 1;
    Plugins({"packages"});
  }
  MakeRun& Plugins(const std::vector<std::string>& names) {
    r_.spec.plugins.clear();
    for (const auto& n : names) r_.spec.plugins.push_back({n, {}});
    r_.spec.fields_present.insert("spec.plugins");
    return *this;
  }
  MakeRun& MaxFailed(int n) {
    r_.spec.max_failed_nodes = n;
    r_.spec.fields_present.insert("spec.maxFailedNodes");
    return *this;
  }
  MakeRun& MaxRetries(int n) {
    r_.spec.max_retries_per_node = n;
    r_.spec.fields_present.insert("spec.maxRetriesPerNode");
    return *this;
  }
  MakeRun& Order(std::vector<std::string> order) {
    r_.spec.node_order = std::move(order);
    r_.spec.fields_present.insert("spec.nodeOrder");
    return *this;
  }
  MakeRun& RebootTimeoutMinutes(int m) {
    r_.spec.reboot_timeout_minutes = m;
    r_.spec.fields_present.insert("spec.rebootTimeoutMinutes");
    return *this;
  }
  MakeRun& Selector(const std::string& k, const std::string& v) {
    crd::LabelSelector s;
    s.match_labels[k] = v;
    r_.spec.node_selector = s;
    r_.spec.fields_present.insert("spec.nodeSelector");
    return *this;
  }
  MakeRun& MaxUnavailable(int n, bool percent = false) {
    return Set(&crd::UpdateRunSpec::max_unavailable, crd::IntOrPercent{n, percent},
               "spec.maxUnavailable");
  }
  MakeRun& RequireAllNodesOnline() {
    return Set(&crd::UpdateRunSpec::require_all_nodes_online, true, "spec.requireAllNodesOnline");
  }
  MakeRun& Sites(std::vector<std::string> zones) {
    return Set(&crd::UpdateRunSpec::site_aware_updating_order, std::move(zones),
               "spec.siteAwareUpdatingOrder");
  }
  MakeRun& PreHook(std::optional<int> timeout_seconds = std::nullopt) {
    return Set(&crd::UpdateRunSpec::pre_update_hook,
               crd::HookSpec{"drain-db", "pre.sh", timeout_seconds}, "spec.preUpdateHook");
  }
  MakeRun& PostHook() {
    return Set(&crd::UpdateRunSpec::post_update_hook, crd::HookSpec{"notify", "post.sh", {}},
               "spec.postUpdateHook");
  }
  MakeRun& SeparateReboots() {
    return Set(&crd::UpdateRunSpec::separate_reboots, true, "spec.separateReboots");
  }
  MakeRun& Scan() { return Set(&crd::UpdateRunSpec::mode, crd::RunMode::kScan, "spec.mode"); }
  MakeRun& WhatIf() { return Set(&crd::UpdateRunSpec::what_if, true, "spec.whatIf"); }
  MakeRun& Drain(crd::DrainMode mode) {
    return Set(&crd::UpdateRunSpec::drain, mode, "spec.drain");
  }
  MakeRun& DrainTimeoutMinutes(int m) {
    return Set(&crd::UpdateRunSpec::drain_timeout_minutes, m, "spec.drainTimeoutMinutes");
  }
  MakeRun& WarnAfter(Duration d) {
    return Set(&crd::UpdateRunSpec::warn_after, d, "spec.warnAfter");
  }
  MakeRun& StopAfter(Duration d) {
    return Set(&crd::UpdateRunSpec::stop_after, d, "spec.stopAfter");
  }
  MakeRun& Stop() { return Set(&crd::UpdateRunSpec::stop, true, "spec.stop"); }
  MakeRun& AgentTimeoutMinutes(int m) {
    return Set(&crd::UpdateRunSpec::agent_timeout_minutes, m, "spec.agentTimeoutMinutes");
  }
  MakeRun& ForceReboot() {
    return Set(&crd::UpdateRunSpec::force_reboot, true, "spec.forceReboot");
  }
  MakeRun& OsRollingUpgrade() {
    return Set(&crd::UpdateRunSpec::os_rolling_upgrade, true, "spec.osRollingUpgrade");
  }
  MakeRun& SkipUpdateChecks() {
    return Set(&crd::UpdateRunSpec::skip_update_checks, true, "spec.skipUpdateChecks");
  }
  MakeRun& ForceRecovery() {
    return Set(&crd::UpdateRunSpec::force_recovery, true, "spec.forceRecovery");
  }
  MakeRun& Failback(crd::FailbackMode mode) {
    return Set(&crd::UpdateRunSpec::failback_mode, mode, "spec.failbackMode");
  }
  MakeRun& Field(const std::string& path) {
    r_.spec.fields_present.insert(path);
    return *this;
  }
  operator crd::UpdateRun() const { return r_; }  // NOLINT: builder

 private:
  template <typename Field, typename Value>
  MakeRun& Set(Field crd::UpdateRunSpec::*field, Value value, const std::string& path) {
    r_.spec.*field = std::move(value);
    return Mark(path);
  }
  MakeRun& Mark(const std::string& path) {
    r_.spec.fields_present.insert(path);
    return *this;
  }
  crd::UpdateRun r_;
};

}  // namespace kcau::reconcilers::testing

namespace kcau::crd {
// gtest prints statuses as the JSON the API server would hold.
inline void PrintTo(const UpdateRunStatus& status, std::ostream* os) {
  *os << EncodeUpdateRunStatus(status).serialize();
}
}  // namespace kcau::crd
