#include "reconcilers/run_lock.h"

#include <cstdint>
#include <cstdio>
#include <map>

#include "reconcilers/label_match.h"

namespace kcau::reconcilers {

namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// FNV-1a: stable across builds and platforms (std::hash is not).
uint64_t Fnv1a(const std::string& text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::string RunLockName(const crd::UpdateRunSpec& spec) {
  // Canonical: labels sorted (std::map), expressions in their given order, values too.
  std::string canonical = "labels:";
  if (spec.node_selector) {
    for (const auto& [k, v] : spec.node_selector->match_labels) canonical += k + "=" + v + ",";
    canonical += ";expressions:";
    for (const auto& r : spec.node_selector->match_expressions) {
      canonical += r.key + " " + r.op + " (";
      for (const auto& v : r.values) canonical += v + ",";
      canonical += ");";
    }
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(Fnv1a(canonical)));
  return std::string(kRunLockPrefix) + hex;
}

RunLockDecision DecideRunLock(const std::string& self, const std::optional<RunLockHolder>& holder,
                              const HolderRunState& holder_run, bool force_recovery,
                              const ElapsedFn& elapsed) {
  if (!holder || holder->identity.empty()) return {RunLockVerdict::kTake, "lock free"};
  if (holder->identity == self) return {RunLockVerdict::kHeld, "held by this run"};
  const std::string who = "run " + holder->identity;
  if (!holder_run.exists) {
    return {RunLockVerdict::kTake, who + " held the lock and no longer exists"};
  }
  if (holder_run.active) {
    const bool renewed = holder->renew_time && elapsed(*holder->renew_time) <
                                                   std::chrono::seconds(holder->lease_seconds + 1);
    if (renewed) {
      return {RunLockVerdict::kWait, who +
                                         " holds the run lock for these nodes; this run starts "
                                         "when it ends"};
    }
    const std::string stale = who + " holds the run lock but has not renewed it for over " +
                              std::to_string(holder->lease_seconds) + " s";
    if (force_recovery) return {RunLockVerdict::kRecover, stale};
    return {RunLockVerdict::kWait, stale + "; set spec.forceRecovery: true to take it over"};
  }
  if (holder_run.left_cordoned.empty()) {
    return {RunLockVerdict::kTake, who + " ended and left nothing cordoned"};
  }
  const std::string locked =
      who + " failed and left node(s) cordoned: " + Join(holder_run.left_cordoned);
  if (force_recovery) return {RunLockVerdict::kRecover, locked};
  return {RunLockVerdict::kWait,
          locked + " (Locked); uncordon them, or set spec.forceRecovery: true to take over"};
}

std::vector<std::string> SelectedNodes(const crd::UpdateRunSpec& spec,
                                       const std::vector<NodeView>& nodes) {
  std::vector<std::string> out;
  for (const auto& n : nodes) {
    if (!spec.node_selector || SelectorMatches(*spec.node_selector, n.labels)) {
      out.push_back(n.name);
    }
  }
  return out;
}

std::string JoinNames(const std::vector<std::string>& names) {
  constexpr size_t kShown = 10;
  if (names.size() <= kShown) return Join(names);
  std::vector<std::string> head(names.begin(), names.begin() + kShown);
  return Join(head) + " and " + std::to_string(names.size() - kShown) + " more";
}

std::vector<std::string> NodesLeftCordoned(
    const crd::UpdateRunStatus& status, const std::string& identity,
    const std::vector<std::pair<std::string, std::string>>& cordoned_by) {
  std::map<std::string, std::string> by(cordoned_by.begin(), cordoned_by.end());
  std::vector<std::string> left;
  for (const auto& r : status.nodes) {
    if (r.phase != crd::NodePhase::kFailed) continue;
    auto it = by.find(r.name);
    if (it != by.end() && it->second == identity) left.push_back(r.name);
  }
  return left;
}

}  // namespace kcau::reconcilers
