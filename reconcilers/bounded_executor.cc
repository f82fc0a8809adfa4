#include "reconcilers/bounded_executor.h"

#include <memory>
#include <string>

#include "common/thread_name.h"
#include "common/thread_priority.h"

namespace kcau::reconcilers {

namespace {

// Counts a batch's jobs down; RunAll waits for zero.
struct Batch {
  std::mutex mu;
  std::condition_variable done;
  size_t left = 0;  // guarded by mu
};

}  // namespace

BoundedExecutor::BoundedExecutor(std::string_view name, int threads, Priority priority) {
  // The caller's thread works too, so a pool of N - 1 gives N jobs at once.
  for (int i = 1; i < threads; ++i) {
    threads_.emplace_back([this, name = std::string(name), priority] {
      NameThisThread(name);
      // Refused only where a sandbox forbids it: the pool then runs as the rest does.
      if (priority == Priority::kBulk) LowerThisThreadsPriority(kBulkWorkNiceIncrement);
      Loop();
    });
  }
}

BoundedExecutor::~BoundedExecutor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    jobs_.clear();  // no RunAll waits now (the caller is destroying us): only Submit's jobs
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void BoundedExecutor::Loop() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, nothing left
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

void BoundedExecutor::Submit(std::function<void()> job) {
  if (threads_.empty()) {
    job();
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void BoundedExecutor::RunAll(std::vector<std::function<void()>> jobs) {
  if (jobs.size() <= 1 || threads_.empty()) {
    for (auto& job : jobs) job();
    return;
  }
  auto batch = std::make_shared<Batch>();
  batch->left = jobs.size();
  // The first job is the caller's own; the rest go to the pool, wrapped to count down.
  std::function<void()> first = std::move(jobs.front());
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 1; i < jobs.size(); ++i) {
      jobs_.push_back([batch, job = std::move(jobs[i])] {
        job();
        std::lock_guard<std::mutex> lock(batch->mu);
        if (--batch->left == 0) batch->done.notify_all();
      });
    }
  }
  cv_.notify_all();
  first();
  {
    std::lock_guard<std::mutex> lock(batch->mu);
    --batch->left;
  }
  // While this batch's jobs wait for a thread, the caller takes them (any batch's, in fact:
  // the queue is shared, and every job is short).
  while (true) {
    std::function<void()> job;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (jobs_.empty()) break;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
  std::unique_lock<std::mutex> lock(batch->mu);
  batch->done.wait(lock, [&] { return batch->left == 0; });
}

}  // namespace kcau::reconcilers
