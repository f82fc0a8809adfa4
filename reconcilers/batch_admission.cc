#include "reconcilers/batch_admission.h"

#include <algorithm>

namespace kcau::reconcilers {

namespace {

const NodeView* Find(const std::vector<NodeView>& cluster, const std::string& name) {
  for (const auto& n : cluster) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

}  // namespace

bool IsControlPlane(const NodeView& node) {
  return node.labels.Has("node-role.kubernetes.io/control-plane") ||
         node.labels.Has("node-role.kubernetes.io/master");
}

std::string ZoneOf(const NodeView& node) {
  return std::string(node.labels.Find(kZoneLabel).value_or(""));
}

int MaxUnavailable(const crd::UpdateRunSpec& spec, int selected_nodes) {
  if (!spec.max_unavailable) return 1;
  const auto& m = *spec.max_unavailable;
  const int n = m.percent ? selected_nodes * m.value / 100 : m.value;
  return std::max(1, n);
}

std::string BlockerMessage(const Blocker& blocker) {
  switch (blocker.kind) {
    case Blocker::Kind::kNone:
      return "";
    case Blocker::Kind::kPace:
    case Blocker::Kind::kSite:
      return blocker.detail;
    case Blocker::Kind::kQuorum:
      return "quorum: " + blocker.detail;
    case Blocker::Kind::kRunLock:
      return "locked: " + blocker.detail;
  }
  return blocker.detail;
}

Blocker AdmissionBlocker(const NodeView& next, const std::vector<const NodeView*>& in_flight,
                         const std::vector<NodeView>& cluster, int max_unavailable,
                         bool site_aware) {
  using Kind = Blocker::Kind;
  if (static_cast<int>(in_flight.size()) >= max_unavailable) {
    return {Kind::kPace, "maxUnavailable=" + std::to_string(max_unavailable) + " nodes in flight"};
  }
  if (site_aware) {
    const std::string zone = ZoneOf(next);
    for (const NodeView* n : in_flight) {
      if (ZoneOf(*n) != zone) {
        return {Kind::kSite,
                "site " + (zone.empty() ? std::string("(no zone)") : zone) + " waits for site " +
                    (ZoneOf(*n).empty() ? std::string("(no zone)") : ZoneOf(*n)) + " to finish"};
      }
    }
  }
  if (!IsControlPlane(next)) return {};
  for (const NodeView* n : in_flight) {
    if (IsControlPlane(*n)) {
      return {Kind::kQuorum, "control-plane node " + n->name +
                                 " is being updated (one control-plane node at a time)"};
    }
  }
  for (const auto& n : cluster) {
    if (n.name == next.name || !IsControlPlane(n)) continue;
    if (!n.ready || n.unschedulable) {
      return {Kind::kQuorum, "control-plane node " + n.name + " is " +
                                 (!n.ready ? "NotReady" : "cordoned") + "; " + next.name +
                                 " waits until it is back"};
    }
  }
  return {};
}

std::vector<std::vector<std::string>> PredictBatches(const std::vector<std::string>& order,
                                                     const std::vector<NodeView>& cluster,
                                                     int max_unavailable, bool site_aware) {
  std::vector<std::vector<std::string>> batches;
  std::vector<const NodeView*> wave;
  for (const auto& name : order) {
    const NodeView* n = Find(cluster, name);
    if (n == nullptr) continue;
    // Only the run's own pace cuts a wave here: the cluster's health is judged when the wave
    // comes (a NotReady control-plane node now may be back by then).
    std::vector<NodeView> healthy;
    if (!wave.empty() &&
        AdmissionBlocker(*n, wave, healthy, max_unavailable, site_aware).IsBlocked()) {
      batches.emplace_back();
      for (const NodeView* w : wave) batches.back().push_back(w->name);
      wave.clear();
    }
    wave.push_back(n);
  }
  if (!wave.empty()) {
    batches.emplace_back();
    for (const NodeView* w : wave) batches.back().push_back(w->name);
  }
  return batches;
}

}  // namespace kcau::reconcilers
