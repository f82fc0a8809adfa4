// How many nodes a run updates at once and which node may start next: maxUnavailable, the
// control-plane quorum rule and site-aware ordering (docs/architecture.md), plus the waves a whatIf
// run publishes. Pure, thread-safe.
//
// The run keeps its plan's order strictly: the next pending node starts when it is admitted,
// and nodes behind it wait, so `nodeOrder` and `siteAwareUpdatingOrder` mean exactly what
// they say. PodDisruptionBudgets are honoured by the evictions themselves (the API server
// refuses one that would break a budget), so several nodes draining at once never take more
// pods than the budgets allow.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "crd/updaterun_types.h"
#include "reconcilers/node_view.h"

namespace kcau::reconcilers {

inline constexpr char kZoneLabel[] = "topology.kubernetes.io/zone";

// node-role.kubernetes.io/control-plane (or the older .../master) is present.
bool IsControlPlane(const NodeView& node);
// topology.kubernetes.io/zone, "" when the node has none.
std::string ZoneOf(const NodeView& node);

// spec.maxUnavailable resolved against the selected node count: default 1, a percentage
// rounds down (as a Deployment's maxUnavailable does) but is never below 1.
int MaxUnavailable(const crd::UpdateRunSpec& spec, int selected_nodes);

// Why a node may not start now. A value (kured's RebootBlocker is the model): the kind says
// who holds the node back, `detail` says it in words for people.
struct Blocker {
  enum class Kind {
    kNone,     // the node may start
    kPace,     // maxUnavailable nodes are in flight already
    kSite,     // siteAwareUpdatingOrder: another site is still being updated
    kQuorum,   // another control-plane node is in flight, NotReady or cordoned
    kRunLock,  // another kcau run cordoned the node and left it so
  };
  Kind kind = Kind::kNone;
  std::string detail;

  bool IsBlocked() const { return kind != Kind::kNone; }
  // The cluster's health or another run holds the node back, not the run's own pace: the
  // run says so in its Progressing condition (reason Blocked) and looks again later.
  bool HeldFromOutside() const { return kind == Kind::kQuorum || kind == Kind::kRunLock; }
  bool operator==(const Blocker&) const = default;
};

// The blocker as people read it in status: "quorum: " and "locked: " name the outside
// holds; the run's own pace is said as it is. "" for kNone.
std::string BlockerMessage(const Blocker& blocker);

// Why `next` may not start while `in_flight` (the run's nodes being updated) are; kind kNone
// when it may. `cluster` is every node, selected or not: quorum counts them all.
Blocker AdmissionBlocker(const NodeView& next, const std::vector<const NodeView*>& in_flight,
                         const std::vector<NodeView>& cluster, int max_unavailable,
                         bool site_aware);

// The waves the run would take if every node took as long as every other: `order` cut where
// maxUnavailable, one-control-plane-node-at-a-time or a change of site say so.
std::vector<std::vector<std::string>> PredictBatches(const std::vector<std::string>& order,
                                                     const std::vector<NodeView>& cluster,
                                                     int max_unavailable, bool site_aware);

}  // namespace kcau::reconcilers
