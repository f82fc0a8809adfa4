// The controller's work queue, with client-go's workqueue guarantees:
//   - de-duplicating: a key added many times before it is processed is processed once;
//   - one worker per key: a key being processed is not handed out again until Done(), and
//     if it was added meanwhile it is queued again then (so no change is lost);
//   - delayed adds (AddAfter) for timers, and per-key exponential backoff (AddRateLimited)
//     for failures, reset by Forget;
//   - adds that arrive while a key is queued or being processed become one more pass: this
//     is what coalesces a burst of node events into one reconcile of a run, without holding
//     back the first one after a quiet spell;
//   - with Pacing::rest_per_work, a key is handed out again no sooner than that fraction of
//     its last pass's time after that pass ended: a key whose passes are expensive (a run of
//     thousands of nodes) gets fewer, larger ones, while a cheap key's next pass is as prompt
//     as ever, and so is any key's first pass after a quiet spell.
// Due times come from the injected Clock's monotonic time, so tests advance a FakeClock
// instead of sleeping, and a step of the wall clock neither fires nor stalls a timer.
// With metrics it keeps client-go's workqueue_* series: depth (keys ready), adds (keys newly
// queued; a de-duplicated add is not one), retries (AddRateLimited), time queued (from the
// add to Get) and time worked (from Get to Done), both on the injected monotonic clock.
//
// Thread-safety: every method is safe from any thread; one mutex guards all state.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "common/clock.h"
#include "metrics/kcau_metrics.h"

namespace kcau::controller {

struct BackoffPolicy {
  Duration base = std::chrono::milliseconds(200);
  Duration cap = std::chrono::seconds(60);
};

struct Pacing {
  // After a pass of a key that took d (Get to Done), the key rests d * rest_per_work before
  // it is handed out again. 0: never rests.
  double rest_per_work = 0;
};

class WorkQueue {
 public:
  explicit WorkQueue(const Clock& clock, BackoffPolicy backoff = {},
                     std::optional<metrics::WorkQueueMetrics> metrics = std::nullopt,
                     Pacing pacing = {});
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Add(const std::string& key);
  void AddAfter(const std::string& key, Duration delay);
  // Backoff: base * 2^(failures so far), capped.
  void AddRateLimited(const std::string& key);
  // The key succeeded: its backoff starts again from base.
  void Forget(const std::string& key);
  int Failures(const std::string& key) const;

  // Waits up to `max_wait` (real time) for a ready key. nullopt on timeout or shutdown.
  std::optional<std::string> Get(Duration max_wait);
  // Must follow every successful Get.
  void Done(const std::string& key);

  void ShutDown();
  bool shutting_down() const;
  // Keys ready, resting or waiting on a timer.
  size_t Len() const;

 private:
  void PromoteDueLocked(MonoTime now);
  void EnqueueLocked(const std::string& key);
  // Appends a ready key unless it rests (Pacing), in which case it waits in resting_.
  void PushOrRestLocked(const std::string& key, MonoTime now);
  // Appends a ready key, and says so to the depth gauge.
  void PushLocked(const std::string& key);

  const Clock& clock_;
  const BackoffPolicy backoff_;
  const std::optional<metrics::WorkQueueMetrics> metrics_;
  const Pacing pacing_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;                 // guarded by mu_: ready, in order
  std::set<std::string> dirty_;                   // guarded by mu_: queued or to be requeued
  std::set<std::string> processing_;              // guarded by mu_: handed out, not Done
  std::multimap<MonoTime, std::string> timers_;   // guarded by mu_: AddAfter, by due time
  std::map<std::string, int> failures_;           // guarded by mu_
  std::map<std::string, MonoTime> added_at_;      // guarded by mu_: queued since (metrics)
  std::map<std::string, MonoTime> started_at_;    // guarded by mu_: handed out at
  std::map<std::string, MonoTime> rests_until_;   // guarded by mu_: Pacing, by key
  std::multimap<MonoTime, std::string> resting_;  // guarded by mu_: queued keys resting
  bool shutting_down_ = false;                    // guarded by mu_
};

}  // namespace kcau::controller
