#include "agent/plugins/reboot_required_plugin.h"

#include "agent/plugins/apt_output.h"
#include "agent/plugins/install_summary.h"
#include "agent/plugins/plugin_arguments.h"

namespace kcau::agent {

StatusOr<std::unique_ptr<Plugin>> MakeRebootRequiredPlugin(
    const std::map<std::string, std::string>& arguments) {
  StatusOr<PluginArguments> args =
      PluginArguments::Make(kRebootRequiredPlugin, arguments, {"sentinel"});
  if (!args.ok()) return args.status();
  std::string sentinel = args->Get("sentinel").value_or("/var/run/reboot-required");
  if (sentinel.empty() || sentinel[0] != '/' || sentinel.size() > 4096 ||
      sentinel.find("/../") != std::string::npos || sentinel.back() == '/') {
    return args->Error(
        "sentinel", QuoteForMessage(sentinel) + " is not an absolute path of a file on the host");
  }
  return std::unique_ptr<Plugin>(std::make_unique<RebootRequiredPlugin>(sentinel));
}

StatusOr<bool> RebootRequiredPlugin::SentinelExists(Host& host) {
  StatusOr<FileInfo> info = host.Stat(sentinel_);
  if (!info.ok()) return info.status();
  return info->exists && !info->is_directory;
}

StatusOr<std::vector<std::string>> RebootRequiredPlugin::Scan(Host& host) {
  StatusOr<bool> exists = SentinelExists(host);
  if (!exists.ok()) return exists.status();
  if (!*exists) return std::vector<std::string>{};
  return std::vector<std::string>{"reboot required"};
}

StatusOr<StageResult> RebootRequiredPlugin::Stage(Host& host) { return StageResult{}; }

StatusOr<InstallResult> RebootRequiredPlugin::Install(Host& host) {
  StatusOr<bool> exists = SentinelExists(host);
  if (!exists.ok()) return exists.status();
  InstallResult result;
  result.reboot_required = *exists;
  if (result.reboot_required) {
    std::string packages = sentinel_ + ".pkgs";
    StatusOr<FileInfo> info = host.Stat(packages);
    if (!info.ok()) return info.status();
    if (info->exists) {
      StatusOr<std::string> text = host.ReadFile(packages);
      if (!text.ok()) return text.status();
      result.reboot_required_by = ParseRebootRequiredPackages(*text);
    }
    for (const std::string& name : result.reboot_required_by) {
      result.firmware_or_kernel_changed |= IsKernelOrFirmwarePackage(name);
    }
    if (result.reboot_required_by.empty()) result.reboot_required_by = {sentinel_};
  }
  result.message = DescribeInstall(result);
  return result;
}

}  // namespace kcau::agent
