// The one outcome type of every reconcile (docs/conventions.md). controller/ turns it into a
// work-queue call and a reconcile_total{result} increment; reconcilers never touch the queue.
// Plain value, thread-safe.
#pragma once

#include <optional>
#include <string>

#include "common/clock.h"

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

}  // namespace kcau::reconcilers
