#include "kube/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace kcau::kube {

TokenBucket::TokenBucket(double qps, int burst, const Clock& clock)
    : qps_(qps),
      burst_(std::max(1, burst)),
      clock_(clock),
      tokens_(burst_),
      last_(clock.Monotonic()) {}

Duration TokenBucket::Reserve() {
  if (qps_ <= 0) return Duration::zero();
  std::lock_guard<std::mutex> lock(mu_);
  const MonoTime now = clock_.Monotonic();
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  if (elapsed > 0) {
    tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
    last_ = now;
  }
  tokens_ -= 1;
  if (tokens_ >= 0) return Duration::zero();
  // Negative: this caller waits until the refill covers every reservation ahead of it.
  return Duration(static_cast<int64_t>(std::ceil(-tokens_ / qps_ * 1000.0)));
}

}  // namespace kcau::kube
