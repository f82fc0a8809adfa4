// The state one reconcile pass of UpdateRunReconciler builds step by step, shared by the
// files its steps live in (updaterun_reconciler.cc: read, decide; reconciler_apply.cc: write,
// act, record, release). Internal to the reconciler. One pass, one thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "crd/updaterun_types.h"
#include "kube/json.h"
#include "reconcilers/node_actions.h"
#include "reconcilers/node_view.h"
#include "reconcilers/rollout_planner.h"
#include "reconcilers/spec_edits.h"
#include "reconcilers/updaterun_reconciler.h"

namespace kcau::reconcilers {

// The state one pass builds step by step. `read` is the run as the pass found it, without
// status.nodes once decoded (`run` has them); current() is the run as last written
// (finalizer, status): what a later write must build on.
struct UpdateRunReconciler::Pass {
  std::string name;
  TimePoint now;
  kube::Json read;
  // How many entries status.nodes listed as read (TakeStatusNodes): the first of the decoded
  // run's, which the status write compares with the new ones.
  size_t read_listed_nodes = 0;
  // Set once the pass wrote the run; until then the run is as read (a 5,000-node run's tree
  // is megabytes: not copied). After a status write, its metadata only (the write asks for
  // no more), which is all that later writes (the finalizer's) read.
  std::optional<kube::Json> written;
  const kube::Json& current() const { return written ? *written : read; }
  // Decoded from `read`; its spec with the live edits applied and the hook runner resolved.
  crd::UpdateRun run;
  bool ended = false;  // Succeeded or Failed, perhaps for an older generation
  std::optional<SpecEdit> edit;
  // Every node as the cache showed it; Apply keeps them only for a run that ends (its lock
  // is released against them): a 5,000-node run's views are ~3 MB, let go before the status
  // is encoded and written, the pass's largest moment.
  std::vector<NodeView> nodes;
  // Node -> the resourceVersion the pass decided from, for the nodes acted on (Apply).
  std::map<std::string, std::string> read_version;
  // Set by GateStart when the run must wait for the lock, else by Decide.
  std::optional<RolloutDecision> decision;
  ActionOutcome acted;
  bool status_written = false;
  // The run's expected uncordons were replaced by this pass's (after its status write).
  bool uncordons_expected = false;
};

}  // namespace kcau::reconcilers
