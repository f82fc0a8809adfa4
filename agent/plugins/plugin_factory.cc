// MakePlugin: the plug-ins by name.
#include "agent/plugin.h"
#include "agent/plugins/packages_plugin.h"
#include "agent/plugins/plugin_arguments.h"
#include "agent/plugins/reboot_required_plugin.h"
#include "agent/plugins/script_plugin.h"

namespace kcau::agent {

StatusOr<std::unique_ptr<Plugin>> MakePlugin(const std::string& name,
                                             const std::map<std::string, std::string>& arguments,
                                             const PluginOptions& options) {
  if (name == kPackagesPlugin) {
    StatusOr<PackagesSettings> settings = ParsePackagesSettings(arguments, options);
    if (!settings.ok()) return settings.status();
    return std::unique_ptr<Plugin>(std::make_unique<PackagesPlugin>(*settings));
  }
  if (name == kRebootRequiredPlugin) return MakeRebootRequiredPlugin(arguments);
  if (name == kScriptPlugin) return MakeScriptPlugin(arguments);
  return InvalidArgumentError("unknown plug-in " + QuoteForMessage(name) +
                              " (known: " + kPackagesPlugin + ", " + kRebootRequiredPlugin + ", " +
                              kScriptPlugin + ")");
}

}  // namespace kcau::agent
