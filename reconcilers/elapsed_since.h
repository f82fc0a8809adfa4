// How long ago a wall-clock timestamp read from status was, measured so that a step of the
// wall clock can neither fire nor stall a timeout.
//
// Status keeps wall-clock timestamps (phaseTime, startTime) because people read them and a
// restarted controller needs them. Measuring a timeout as "wall now - timestamp" broke when
// the clock was stepped: +2 h during a reboot failed a healthy node at once, -30 min stalled
// the run. Instead, the first time this process sees a timestamp it takes its age from the
// wall clock once (the best a fresh process can know) and pins it to the monotonic clock;
// from then on the age grows with monotonic time only. The reconciler pins every timestamp
// it writes in the same pass, so for timestamps this process wrote the wall clock is never
// consulted again.
//
// Thread-safety: every method is safe from any thread (one mutex).
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "common/clock.h"

namespace kcau::reconcilers {

class ElapsedSince {
 public:
  explicit ElapsedSince(const Clock& clock) : clock_(clock) {}
  ElapsedSince(const ElapsedSince&) = delete;
  ElapsedSince& operator=(const ElapsedSince&) = delete;

  // Time since `then` (never negative).
  Duration Since(TimePoint then);
  // Remembers `then` as of now, so later steps of the wall clock do not change its age.
  void Pin(TimePoint then) { (void)Since(then); }

  size_t size() const;

 private:
  struct Anchor {
    MonoTime at;         // monotonic time that corresponds to the timestamp
    MonoTime last_used;  // for forgetting timestamps no run refers to any more
  };
  // Forgets anchors unused for kForgetAfter once the map has doubled since the last sweep.
  void SweepLocked(MonoTime now);

  static constexpr Duration kForgetAfter = std::chrono::hours(6);
  const Clock& clock_;
  mutable std::mutex mu_;
  std::unordered_map<int64_t, Anchor> anchors_;  // guarded by mu_; key: ms since the epoch
  size_t sweep_at_ = 1024;                       // guarded by mu_
};

}  // namespace kcau::reconcilers
