#include "metrics/agent_metrics.h"

#include "metrics/build_info.h"

namespace kcau::metrics {

namespace {

// Plug-in operations last from well under a second (a scan with warm caches) to an hour
// (an OS upgrade).
const prometheus::Histogram::BucketBoundaries& PluginBuckets() {
  static const prometheus::Histogram::BucketBoundaries b = {0.1, 0.5, 1,   5,   15,   30,
                                                            60,  120, 300, 600, 1800, 3600};
  return b;
}

const char* const kOperations[] = {"scan", "stage", "install"};

}  // namespace

AgentMetrics::AgentMetrics(prometheus::Registry& r, const std::string& version,
                           const std::vector<std::string>& plugins)
    : results_total(prometheus::BuildCounter()
                        .Name("kcau_agent_results_total")
                        .Help("Answers this agent published on its Node, by request and state.")
                        .Register(r)),
      plugin_results_total(prometheus::BuildCounter()
                               .Name("kcau_plugin_results_total")
                               .Help("Plug-in operations this agent ran, by plug-in, operation "
                                     "(scan, stage, install) and result (succeeded, failed).")
                               .Register(r)),
      plugin_duration_seconds(prometheus::BuildHistogram()
                                  .Name("kcau_plugin_duration_seconds")
                                  .Help("How long plug-in operations took, by plug-in and "
                                        "operation.")
                                  .Register(r)) {
  AddBuildInfo(r, version);
  for (const char* state : {"Installing", "Installed", "Failed", "Scanned"}) {
    results_total.Add({{"request", "update"}, {"state", state}});
  }
  for (const char* state : {"Running", "Succeeded", "Failed"}) {
    results_total.Add({{"request", "hook"}, {"state", state}});
  }
  for (const auto& plugin : plugins) {
    for (const char* operation : kOperations) {
      for (const char* result : {"succeeded", "failed"}) {
        plugin_results_total.Add(
            {{"plugin", plugin}, {"operation", operation}, {"result", result}});
      }
      plugin_duration_seconds.Add({{"plugin", plugin}, {"operation", operation}}, PluginBuckets());
    }
  }
}

void AgentMetrics::CountAnswer(const std::string& request, const std::string& state) {
  results_total.Add({{"request", request}, {"state", state}}).Increment();
}

void AgentMetrics::PluginRan(const std::string& plugin, const std::string& operation,
                             bool succeeded, double seconds) {
  plugin_results_total
      .Add({{"plugin", plugin},
            {"operation", operation},
            {"result", succeeded ? "succeeded" : "failed"}})
      .Increment();
  plugin_duration_seconds.Add({{"plugin", plugin}, {"operation", operation}}, PluginBuckets())
      .Observe(seconds);
}

}  // namespace kcau::metrics
