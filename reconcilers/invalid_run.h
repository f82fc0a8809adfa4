// Ends a run the API server's schema should have refused (a spec that cannot be decoded) or
// that asks for what this controller does not allow (hooks run as someone the policy does
// not list, a hook ConfigMap that is not there): status Failed with conditions naming the
// field, once, and a Warning Event. Such a run is never retried in a hot loop
// (sample-controller's "absorb the error").
//
// Thread-safety: stateless; safe wherever the KubeClient and EventRecorder are.
#pragma once

#include <string>

#include "common/clock.h"
#include "kube/json.h"
#include "reconcilers/event_recorder.h"
#include "reconcilers/reconcile_result.h"

namespace kcau::kube {
class KubeClient;
}

namespace kcau::reconcilers {

// `object` is the run as read; `reason` says which check refused it, `message` the field and
// the problem. Terminal once written (or when an earlier pass already wrote it); a failed
// write is a conflict when it met a 409.
PassOutcome EndInvalidRun(kube::KubeClient& client, EventRecorder& events,
                          const std::string& run_name, const kube::Json& object,
                          const std::string& reason, const std::string& message, TimePoint now);

}  // namespace kcau::reconcilers
