#include "agent/measured_plugin.h"

#include <chrono>
#include <type_traits>
#include <utility>

namespace kcau::agent {

namespace {

class MeasuredPlugin final : public Plugin {
 public:
  MeasuredPlugin(std::unique_ptr<Plugin> plugin, const Clock& clock, metrics::AgentMetrics& metrics)
      : plugin_(std::move(plugin)), clock_(clock), metrics_(metrics) {}

  std::string Name() const override { return plugin_->Name(); }
  StatusOr<std::vector<std::string>> Scan(Host& host) override {
    return Measure("scan", [&] { return plugin_->Scan(host); });
  }
  StatusOr<StageResult> Stage(Host& host) override {
    return Measure("stage", [&] { return plugin_->Stage(host); });
  }
  StatusOr<InstallResult> Install(Host& host) override {
    return Measure("install", [&] { return plugin_->Install(host); });
  }

 private:
  template <typename Run>
  std::invoke_result_t<Run> Measure(const char* operation, Run run) {
    const MonoTime started = clock_.Monotonic();
    auto result = run();
    const std::chrono::duration<double> took = clock_.Monotonic() - started;
    metrics_.PluginRan(plugin_->Name(), operation, result.ok(), took.count());
    return result;
  }

  std::unique_ptr<Plugin> plugin_;
  const Clock& clock_;
  metrics::AgentMetrics& metrics_;
};

}  // namespace

PluginFactory MeasuredPlugins(PluginFactory factory, const Clock& clock,
                              metrics::AgentMetrics& metrics) {
  return [factory = std::move(factory), &clock, &metrics](
             const std::string& name, const std::map<std::string, std::string>& arguments,
             const PluginOptions& options) -> StatusOr<std::unique_ptr<Plugin>> {
    auto plugin = factory(name, arguments, options);
    if (!plugin.ok()) return plugin.status();
    return std::unique_ptr<Plugin>(
        std::make_unique<MeasuredPlugin>(std::move(*plugin), clock, metrics));
  };
}

}  // namespace kcau::agent
