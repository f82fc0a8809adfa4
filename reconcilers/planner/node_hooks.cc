// The node state machine's PreUpdateHook and PostUpdateHook phases (docs/architecture.md):
// the agent runs the ConfigMap's script on the node (PreUpdateScript / PostUpdateScript),
// and what follows a successful update (failback, the post hook, success). Pure.
#include <algorithm>

#include "reconcilers/planner/pass.h"

namespace kcau::reconcilers::planner {

using crd::NodePhase;

// A run of the pre hook begins an attempt (maxRetriesPerNode counts hooks and updates);
// a post hook retried counts one too. The token ties the answer to this run of it.
void Pass::StartHook(NodeResult& r, NodePhase phase, bool new_attempt) {
  if (new_attempt) r.attempts += 1;
  Enter(r, phase);
  NodeAction a{ActionType::kRunHook, r.name, HookToken(r)};
  a.hook = phase == NodePhase::kPreUpdateHook ? "pre" : "post";
  d_.actions.push_back(a);
  Requeue(kHookPollInterval);
}

std::string Pass::HookToken(const NodeResult& r) const {
  return RequestToken(run_, r.name, r.attempts) +
         (r.phase == NodePhase::kPreUpdateHook ? "/pre" : "/post");
}

void Pass::StepHook(NodeResult& r, const NodeView& view) {
  const bool pre = r.phase == NodePhase::kPreUpdateHook;
  const crd::HookSpec& spec = pre ? *run_.spec.pre_update_hook : *run_.spec.post_update_hook;
  const std::string token = HookToken(r);
  const auto& result = view.hook_result;
  std::string why;
  if (!result || result->token != token || result->running) {
    const Duration timeout =
        std::chrono::seconds(spec.timeout_seconds.value_or(kDefaultHookTimeoutSeconds));
    const Duration waited = Elapsed(r.phase_time);
    if (waited < timeout) {
      if (view.hook_request_token != token) {
        NodeAction a{ActionType::kRunHook, r.name, token};
        a.hook = pre ? "pre" : "post";
        d_.actions.push_back(a);
      }
      Requeue(std::min<Duration>(kHookPollInterval, timeout - waited));
      return;
    }
    why = "did not finish within " +
          std::to_string(spec.timeout_seconds.value_or(kDefaultHookTimeoutSeconds)) + " s";
  } else if (result->succeeded) {
    if (pre) {
      Cordon(r, view);
      return;
    }
    EndNodeSucceeded(r);
    return;
  } else {
    why = "failed: " + result->message;
  }
  const std::string what = std::string(pre ? "preUpdateHook" : "postUpdateHook") + " " + why;
  if (r.attempts < MaxAttempts()) {
    Event(RunEvent::Warning("NodeHookRetry", r.name + ": " + what + "; retrying"));
    StartHook(r, r.phase);
    return;
  }
  EndNodeFailed(r, &view,
                what + (pre ? "; the node was not updated"
                            : "; the node was updated and is back in service"));
}

// After a successful update (uncordoned, or left cordoned by NoFailback): the post hook,
// if there is one, then the node has succeeded.
void Pass::AfterUpdate(NodeResult& r) {
  if (run_.spec.failback_mode == crd::FailbackMode::kPolicy && !r.was_unschedulable) {
    // Policy: the workloads that ask for it (label kcau.io/failback=true) may come back.
    Act(ActionType::kFailback, r.name);
  }
  if (run_.spec.post_update_hook) {
    StartHook(r, NodePhase::kPostUpdateHook, /*new_attempt=*/false);  // the update's own
    return;
  }
  EndNodeSucceeded(r);
}

}  // namespace kcau::reconcilers::planner
