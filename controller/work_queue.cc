#include "controller/work_queue.h"

#include <algorithm>

namespace kcau::controller {

WorkQueue::WorkQueue(const Clock& clock, BackoffPolicy backoff,
                     std::optional<metrics::WorkQueueMetrics> metrics, Pacing pacing)
    : clock_(clock), backoff_(backoff), metrics_(std::move(metrics)), pacing_(pacing) {}

namespace {

double Seconds(MonoTime::duration d) { return std::chrono::duration<double>(d).count(); }

constexpr size_t kRestsKeptBeforePruning = 64;

}  // namespace

void WorkQueue::PushLocked(const std::string& key) {
  queue_.push_back(key);
  if (metrics_) metrics_->depth.Set(static_cast<double>(queue_.size()));
  cv_.notify_one();
}

void WorkQueue::EnqueueLocked(const std::string& key) {
  if (!dirty_.insert(key).second) return;  // already waiting: de-duplicate
  if (metrics_) {
    metrics_->adds.Increment();
    added_at_[key] = clock_.Monotonic();
  }
  // A key being processed is queued again by Done(), so it never runs twice at once.
  if (processing_.count(key)) return;
  PushOrRestLocked(key, clock_.Monotonic());
}

void WorkQueue::PushOrRestLocked(const std::string& key, MonoTime now) {
  auto rest = rests_until_.find(key);
  if (rest != rests_until_.end() && now < rest->second) {
    resting_.emplace(rest->second, key);
    cv_.notify_one();  // a waiting worker's wake-up time may now be earlier
    return;
  }
  if (rest != rests_until_.end()) rests_until_.erase(rest);
  PushLocked(key);
}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) return;
  EnqueueLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, Duration delay) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) return;
  if (delay <= Duration::zero()) {
    EnqueueLocked(key);
    return;
  }
  const MonoTime due = clock_.Monotonic() + delay;
  // One timer per key is enough: keep the earliest.
  for (auto it = timers_.begin(); it != timers_.end(); ++it) {
    if (it->second != key) continue;
    if (it->first <= due) return;
    timers_.erase(it);
    break;
  }
  timers_.emplace(due, key);
  cv_.notify_one();
}

void WorkQueue::AddRateLimited(const std::string& key) {
  Duration delay;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int failures = failures_[key]++;
    // 2^failures overflows quickly: stop doubling once past the cap.
    delay = backoff_.base;
    for (int i = 0; i < failures && delay < backoff_.cap; ++i) delay *= 2;
    delay = std::min(delay, backoff_.cap);
    if (metrics_) metrics_->retries.Increment();
  }
  AddAfter(key, delay);
}

void WorkQueue::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.erase(key);
}

int WorkQueue::Failures(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::PromoteDueLocked(MonoTime now) {
  while (!timers_.empty() && timers_.begin()->first <= now) {
    std::string key = timers_.begin()->second;
    timers_.erase(timers_.begin());
    EnqueueLocked(key);
  }
  while (!resting_.empty() && resting_.begin()->first <= now) {
    std::string key = resting_.begin()->second;
    resting_.erase(resting_.begin());
    rests_until_.erase(key);
    PushLocked(key);
  }
}

std::optional<std::string> WorkQueue::Get(Duration max_wait) {
  std::unique_lock<std::mutex> lock(mu_);
  const auto give_up = std::chrono::steady_clock::now() + max_wait;
  while (true) {
    if (shutting_down_) return std::nullopt;
    PromoteDueLocked(clock_.Monotonic());
    if (!queue_.empty()) break;
    auto wake = give_up;
    if (!timers_.empty() || !resting_.empty()) {
      // Wake when the earliest timer or rest is due (by the injected clock's reckoning).
      MonoTime due = timers_.empty() ? resting_.begin()->first : timers_.begin()->first;
      if (!resting_.empty()) due = std::min(due, resting_.begin()->first);
      const auto until_due = due - clock_.Monotonic();
      wake = std::min(wake, std::chrono::steady_clock::now() +
                                std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::max(until_due, MonoTime::duration::zero())));
    }
    if (cv_.wait_until(lock, wake) == std::cv_status::timeout &&
        std::chrono::steady_clock::now() >= give_up) {
      PromoteDueLocked(clock_.Monotonic());
      if (queue_.empty()) return std::nullopt;
      break;
    }
  }
  std::string key = queue_.front();
  queue_.pop_front();
  dirty_.erase(key);
  processing_.insert(key);
  const MonoTime now = clock_.Monotonic();
  started_at_[key] = now;
  if (metrics_) {
    metrics_->depth.Set(static_cast<double>(queue_.size()));
    if (auto it = added_at_.find(key); it != added_at_.end()) {
      metrics_->queue_duration.Observe(Seconds(now - it->second));
      added_at_.erase(it);
    }
  }
  return key;
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  processing_.erase(key);
  const MonoTime now = clock_.Monotonic();
  if (auto it = started_at_.find(key); it != started_at_.end()) {
    const MonoTime::duration worked = now - it->second;
    if (metrics_) metrics_->work_duration.Observe(Seconds(worked));
    if (pacing_.rest_per_work > 0) {
      // Rests over are dropped here too, so keys never queued again do not pile up.
      if (rests_until_.size() > kRestsKeptBeforePruning) {
        std::erase_if(rests_until_, [now](const auto& rest) { return rest.second <= now; });
      }
      rests_until_[key] =
          now + std::chrono::duration_cast<MonoTime::duration>(worked * pacing_.rest_per_work);
    }
    started_at_.erase(it);
  }
  if (dirty_.count(key) && !shutting_down_) PushOrRestLocked(key, now);
}

void WorkQueue::ShutDown() {
  std::lock_guard<std::mutex> lock(mu_);
  shutting_down_ = true;
  cv_.notify_all();
}

bool WorkQueue::shutting_down() const {
  std::lock_guard<std::mutex> lock(mu_);
  return shutting_down_;
}

size_t WorkQueue::Len() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size() + resting_.size() + timers_.size();
}

}  // namespace kcau::controller
