// Whether an UpdateRun has ended, decided in one place: the controller (which wakes no ended
// run on node events) and the reconciler (which reads no cluster for an ended run) must
// agree, or a run could be skipped by one while the other still expects to finish it.
// Pure functions, thread-safe.
#pragma once

#include <cpprest/json.h>

#include "crd/updaterun_types.h"

namespace kcau::crd {

// Succeeded or Failed: a run in one of these phases acts on no node again.
bool IsEndedPhase(RunPhase phase);

// The run reached Succeeded or Failed for its current generation. A run edited after its end
// has not ended for the new generation until a pass acknowledges the edit
// (status.observedGeneration). Whether it is being deleted does not matter.
bool IsEnded(const UpdateRun& run);

// IsEnded of a run as the API server stores it, reading only metadata.generation and the
// status's phase and observedGeneration: the controller asks it of every cached run at every
// node event, where decoding runs of thousands of nodes would cost too much. False when one
// of the three is missing or the phase is not one the API knows.
bool IsEnded(const web::json::value& object);

// What the controller's run informer caches of a run: metadata's name, namespace,
// resourceVersion and generation, and the status's phase and observedGeneration, so IsEnded
// and the runs-by-phase gauge read it as they read the whole run. A run of 5,000 nodes is
// ~400 KiB of status, megabytes as a JSON tree; the reconciler reads runs from the API.
web::json::value RunSummary(const web::json::value& object);

}  // namespace kcau::crd
