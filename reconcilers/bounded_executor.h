// A small fixed pool of threads that runs a batch of independent jobs and waits for them all:
// what lets one pass apply its node actions side by side, so that a wave of drains does not
// hold every other node's transition behind it, while never having more than `threads`
// requests of its own in flight (the API server and the client's rate limit see a bounded
// load, however large the wave).
//
// Thread-safety: RunAll may be called from several threads at once (several workers, each
// with its own run); their jobs share the pool's threads. Jobs must not call RunAll.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

namespace kcau::reconcilers {

class BoundedExecutor {
 public:
  // How the pool's threads share a busy CPU with the rest of the process.
  enum class Priority {
    kNormal,
    kBulk,  // nice kBulkWorkNiceIncrement higher (common/thread_priority.h)
  };

  // `threads` < 2 runs every job on the caller's thread, one after another. The pool's threads
  // are named `name` (common/thread_name.h).
  BoundedExecutor(std::string_view name, int threads, Priority priority = Priority::kNormal);
  ~BoundedExecutor();
  BoundedExecutor(const BoundedExecutor&) = delete;
  BoundedExecutor& operator=(const BoundedExecutor&) = delete;

  // Runs every job (on the pool's threads and the caller's) and returns once all have ended.
  void RunAll(std::vector<std::function<void()>> jobs);
  // Runs `job` on a pool thread, behind the jobs already queued, and returns at once (with
  // no pool: runs it on the caller's thread before returning). Jobs still queued when the
  // executor is destroyed are dropped; those running are waited for.
  void Submit(std::function<void()> job);

  int threads() const { return static_cast<int>(threads_.size()); }

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;  // guarded by mu_
  bool stopping_ = false;                   // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace kcau::reconcilers
