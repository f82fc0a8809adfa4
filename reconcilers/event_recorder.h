// Publishes core/v1 Events about an UpdateRun, so `kubectl describe updaterun` and event
// exporters show what the run did. Events are best effort: a failure to record one is
// logged by the caller, never a reason to redo a reconcile.
//
// Repeats are aggregated as client-go's EventRecorder does: the same type, reason and
// message about the same run within kSeriesWindow of the last one patches that Event's count
// and lastTimestamp instead of creating another (a drain a budget holds for an hour, a
// retried node, are one Event each with a count, not hundreds of objects).
//
// Thread-safety: safe to share; the name counter is atomic and the series are under a mutex.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "common/frozen_string.h"
#include "common/status.h"

namespace kcau::kube {
class KubeClient;
}

namespace kcau::reconcilers {

struct RunEvent;

class EventRecorder {
 public:
  // client-go's: repeats further apart than this start a new Event.
  static constexpr Duration kSeriesWindow = std::chrono::minutes(10);

  // Events of cluster-scoped objects go to `namespace_` ("default"), as kubectl expects.
  EventRecorder(kube::KubeClient& client, const Clock& clock, std::string ns = "default")
      : client_(client), clock_(clock), namespace_(std::move(ns)) {}

  Status Record(const std::string& run_name, const std::string& run_uid, const RunEvent& event);

 private:
  // The Event a repeat is folded into.
  struct Series {
    FrozenString name;  // the Event object's
    int count = 0;
    MonoTime last;  // monotonic: a step of the wall clock neither ends nor extends a series
  };
  // client-go's aggregation key (run, uid, type, reason, message) as the first 16 bytes of its
  // SHA-256: a run of 5,000 nodes has a series for each node's NodeUpdated Event, whose
  // message names the updates, and kept whole those keys were ~1.5 MB of the controller's
  // memory for ten minutes.
  using SeriesKey = std::array<uint8_t, 16>;
  static SeriesKey KeyOf(const std::string& run_name, const std::string& run_uid,
                         const RunEvent& event);

  Status Create(const std::string& run_name, const std::string& run_uid, const RunEvent& event,
                const SeriesKey& series_key);
  // Counts a repeat on its Event; NotFound when that Event is gone (expired, deleted).
  Status Repeat(const Series& series);
  // Drops series that ended (no repeat within the window), so the map stays small.
  void ForgetEndedLocked(MonoTime now);

  kube::KubeClient& client_;
  const Clock& clock_;
  const std::string namespace_;
  std::atomic<uint64_t> sequence_{0};
  std::mutex mu_;
  std::map<SeriesKey, Series> series_;  // guarded by mu_
  MonoTime last_sweep_{};               // guarded by mu_
};

}  // namespace kcau::reconcilers
