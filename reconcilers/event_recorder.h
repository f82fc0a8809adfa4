// Publishes core/v1 Events about an UpdateRun, so `kubectl describe updaterun` and event
// exporters show what the run did. Events are best effort: a failure to record one is
// logged by the caller, never a reason to redo a reconcile.
//
// Thread-safety: safe to share; the name counter is atomic.
#pragma once

#include <atomic>
#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace kcau::kube {
class KubeClient;
}

namespace kcau::reconcilers {

struct RunEvent;

class EventRecorder {
 public:
  // Events of cluster-scoped objects go to `namespace_` ("default"), as kubectl expects.
  EventRecorder(kube::KubeClient& client, const Clock& clock, std::string ns = "default")
      : client_(client), clock_(clock), namespace_(std::move(ns)) {}

  Status Record(const std::string& run_name, const std::string& run_uid, const RunEvent& event);

 private:
  kube::KubeClient& client_;
  const Clock& clock_;
  const std::string namespace_;
  std::atomic<uint64_t> sequence_{0};
};

}  // namespace kcau::reconcilers
