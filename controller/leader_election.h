// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
// two replicas run, one acts. The holder renews the lease every retry period; a candidate
// takes it over only once it has not been renewed for a whole lease duration; the holder
// that cannot renew within the renew deadline must stop acting (the process exits and
// restarts as a candidate); a clean shutdown releases the lease so the other replica takes
// over at once.
//
// Expiry is judged as client-go judges it: by how long this replica has itself seen the
// record unchanged, on its monotonic clock, never by comparing the record's renewTime with
// the local wall clock. A wall clock stepped forward would otherwise see a live lease
// expired and make a second leader.
//
// DecideLease is the pure decision; LeaderElector does the API calls and the waiting.
// Thread-safety: LeaderElector's Run/Release from one thread; IsLeader from any.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace kcau::kube {
class KubeClient;
}

namespace kcau::controller {

struct LeaderElectionConfig {
  std::string lease_namespace = "default";
  std::string lease_name = "kcau-controller";
  std::string identity;  // unique per replica: hostname + pid
  // client-go's defaults.
  Duration lease_duration = std::chrono::seconds(15);
  Duration renew_deadline = std::chrono::seconds(10);
  Duration retry_period = std::chrono::seconds(2);
};

// What a Lease says, read from spec.
struct LeaseRecord {
  std::string holder;
  int lease_duration_seconds = 0;
  std::optional<TimePoint> acquire_time;
  std::optional<TimePoint> renew_time;
  int transitions = 0;
  bool operator==(const LeaseRecord&) const = default;
};

enum class LeaseAction {
  kAcquire,  // free, expired or released: take it (transitions + 1 if it changes hands)
  kRenew,    // ours: renew it
  kWait,     // someone else holds a live lease
};

// `current` nullopt: no Lease object yet. `unchanged_for`: how long this replica has seen
// `current` as it is now (0 when it just changed).
LeaseAction DecideLease(const std::optional<LeaseRecord>& current, const std::string& me,
                        Duration unchanged_for);

class LeaderElector {
 public:
  LeaderElector(kube::KubeClient& client, const Clock& clock, LeaderElectionConfig config);
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Blocks: tries to acquire every retry period until it leads (then calls on_started and
  // keeps renewing) or Stop() is called. If a renewal does not succeed within the renew
  // deadline, calls on_lost and returns.
  void Run(const std::function<void()>& on_started, const std::function<void()>& on_lost);
  void Stop();
  // Gives the lease up (holder emptied) if we hold it, so a standby takes over at once.
  Status Release();
  bool IsLeader() const { return leading_; }

  // One attempt: read, decide, write. True when we hold the lease afterwards.
  StatusOr<bool> TryAcquireOrRenew();

 private:
  bool WaitFor(Duration d);
  // How long the record read has been seen unchanged (client-go's observedTime).
  Duration UnchangedFor(const std::optional<LeaseRecord>& record);

  kube::KubeClient& client_;
  const Clock& clock_;
  const LeaderElectionConfig config_;
  std::atomic<bool> leading_{false};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;  // pairs with cv_ to make waits interruptible
  std::condition_variable cv_;
  // The record last read and when it was first seen so (monotonic); used from Run's thread.
  std::optional<LeaseRecord> observed_;
  MonoTime observed_at_;
};

}  // namespace kcau::controller
