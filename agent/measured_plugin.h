// Plug-ins with their runs measured: wraps a PluginFactory so that every plug-in it makes
// counts each Scan, Stage and Install by result and times it (kcau_plugin_results_total,
// kcau_plugin_duration_seconds in metrics/agent_metrics.h). The plug-ins and the handler
// that runs them stay unaware of metrics.
//
// Thread-safety: as the wrapped factory and plug-ins; the metrics are safe from any thread.
#pragma once

#include "agent/update_handler.h"
#include "common/clock.h"
#include "metrics/agent_metrics.h"

namespace kcau::agent {

// `clock` (monotonic time) and `metrics` must outlive every plug-in made.
PluginFactory MeasuredPlugins(PluginFactory factory, const Clock& clock,
                              metrics::AgentMetrics& metrics);

}  // namespace kcau::agent
