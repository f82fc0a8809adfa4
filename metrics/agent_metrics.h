// The metrics kcau-agent exposes on its own endpoint (docs/metrics.md): the answers it
// publishes on its Node, and each plug-in operation it runs (scan, stage, install) by
// result and duration. Every known label set exists from the start at 0.
//
// Thread-safety: prometheus-cpp's families are safe from any thread; this struct only holds
// references to them (valid as long as the registry).
#pragma once

#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace kcau::metrics {

struct AgentMetrics {
  // `plugins`: the plug-in names the agent knows, whose series are created at 0.
  AgentMetrics(prometheus::Registry& registry, const std::string& version,
               const std::vector<std::string>& plugins);
  AgentMetrics(const AgentMetrics&) = delete;
  AgentMetrics& operator=(const AgentMetrics&) = delete;

  // An answer published: `request` "update" or "hook", `state` as published.
  void CountAnswer(const std::string& request, const std::string& state);
  // A plug-in operation ("scan", "stage", "install") ended, succeeded or not, after `seconds`.
  void PluginRan(const std::string& plugin, const std::string& operation, bool succeeded,
                 double seconds);

  prometheus::Family<prometheus::Counter>& results_total;  // kcau_agent_results_total
  prometheus::Family<prometheus::Counter>& plugin_results_total;
  prometheus::Family<prometheus::Histogram>& plugin_duration_seconds;
};

}  // namespace kcau::metrics
