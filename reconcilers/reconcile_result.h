// The one outcome type of every reconcile (docs/conventions.md). controller/ turns it into a
// work-queue call and a reconcile_total{result} increment; reconcilers never touch the queue.
// PassOutcome is a reconciler's own view of one pass: a result, or a 409 it retries at once.
// Plain values, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "common/clock.h"
#include "common/status.h"

namespace kcau::reconcilers {

struct ReconcileResult {
  enum class Status {
    kSuccess,  // nothing more to do until the world changes
    kError,    // transient failure: retry with per-key exponential backoff
  };
  Status status = Status::kSuccess;
  // Look again after this long even if nothing changes (timers: reboot timeouts, drains).
  std::optional<Duration> requeue_after;
  // The run reached an end state (or is invalid): no timer, no retry; only a change of the
  // object brings it back.
  bool terminal = false;
  std::string error;  // for kError: what failed, for the log
  // This pass wrote the run's status: the controller spaces a run's writes out (coalescing).
  bool status_written = false;

  static ReconcileResult Done() { return {}; }
  static ReconcileResult Terminal() { return {Status::kSuccess, std::nullopt, true, "", false}; }
  static ReconcileResult After(Duration d) { return {Status::kSuccess, d, false, "", false}; }
  static ReconcileResult Error(std::string what) {
    return {Status::kError, std::nullopt, false, std::move(what), false};
  }
};

// How one read-decide-write pass ended. A write refused with 409 Conflict means the pass
// decided from a stale read and acted on nothing: the reconciler reads the run again at once
// (a few times) instead of giving the key to the queue's backoff. `result` is the error
// returned if the conflicts outlast those attempts.
struct PassOutcome {
  ReconcileResult result;
  bool conflict = false;

  static PassOutcome Done(ReconcileResult result) { return {std::move(result), false}; }
  // A write that failed: `what` says which; a conflict when the API server answered 409.
  static PassOutcome WriteFailed(const std::string& what, const kcau::Status& failed) {
    return {ReconcileResult::Error(what + ": " + failed.ToString()),
            failed.code() == StatusCode::kConflict};
  }
};

}  // namespace kcau::reconcilers
