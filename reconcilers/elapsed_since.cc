#include "reconcilers/elapsed_since.h"

#include <algorithm>

namespace kcau::reconcilers {

Duration ElapsedSince::Since(TimePoint then) {
  const MonoTime now = clock_.Monotonic();
  const int64_t key = std::chrono::duration_cast<Duration>(then.time_since_epoch()).count();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = anchors_.find(key);
  if (it == anchors_.end()) {
    // First sight: the wall clock's word, once. A timestamp from the future (the clock was
    // stepped back since it was written) counts as just now.
    const Duration age =
        std::max(Duration::zero(), std::chrono::duration_cast<Duration>(clock_.Now() - then));
    it = anchors_.emplace(key, Anchor{now - age, now}).first;
    if (anchors_.size() >= sweep_at_) SweepLocked(now);
  }
  it->second.last_used = now;
  return std::max(Duration::zero(), std::chrono::duration_cast<Duration>(now - it->second.at));
}

size_t ElapsedSince::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return anchors_.size();
}

void ElapsedSince::SweepLocked(MonoTime now) {
  std::erase_if(anchors_,
                [&](const auto& entry) { return now - entry.second.last_used > kForgetAfter; });
  sweep_at_ = std::max<size_t>(1024, anchors_.size() * 2);
}

}  // namespace kcau::reconcilers
