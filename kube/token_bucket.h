// Client-side throttling as client-go's flowcontrol does it: a token bucket of `burst`
// tokens refilled at `qps` per second. Reserve() takes a token and says how long the
// caller must wait before using it, so a controller never floods its API server however
// many events arrive. Time is injected; the caller does the waiting.
// Thread-safety: Reserve is safe from any thread (mutex).
#pragma once

#include <mutex>

#include "common/clock.h"

namespace kcau::kube {

class TokenBucket {
 public:
  // qps <= 0 disables throttling.
  TokenBucket(double qps, int burst, const Clock& clock);
  Duration Reserve();

 private:
  const double qps_;
  const double burst_;
  const Clock& clock_;
  std::mutex mu_;
  double tokens_;  // guarded by mu_; may go negative: reservations queued ahead
  MonoTime last_;  // guarded by mu_
};

}  // namespace kcau::kube
