#include "agent/plugins/apt_packages.h"

#include <map>

#include "agent/plugins/apt_output.h"
#include "agent/plugins/host_command.h"
#include "agent/plugins/install_summary.h"

namespace kcau::agent {

namespace {

constexpr char kRebootSentinel[] = "/var/run/reboot-required";
constexpr char kRebootPackages[] = "/var/run/reboot-required.pkgs";

}  // namespace

Command AptPackages::AptGet(const std::vector<std::string>& args) const {
  Command command;
  command.argv = {"apt-get", "-q",
                  // Waits for unattended-upgrades to let go of the lock rather than failing.
                  "-o", "DPkg::Lock::Timeout=120",
                  // A failed download fails the command, not just warns.
                  "-o", "APT::Update::Error-Mode=any"};
  if (settings_.target_release) {
    command.argv.insert(command.argv.end(), {"-t", *settings_.target_release});
  }
  if (settings_.include_recommended) {
    command.argv.push_back(*settings_.include_recommended ? "--install-recommends"
                                                          : "--no-install-recommends");
  }
  command.argv.insert(command.argv.end(), args.begin(), args.end());
  // Nobody answers questions on a node: debconf takes defaults, changed configuration files
  // are kept (dpkg's and ucf's), apt-listchanges shows nothing.
  command.env = {{"DEBIAN_FRONTEND", "noninteractive"},
                 {"APT_LISTCHANGES_FRONTEND", "none"},
                 {"UCF_FORCE_CONFFOLD", "1"}};
  command.timeout = settings_.timeout;
  return command;
}

Status AptPackages::RefreshOnce(Host& host) {
  if (refreshed_) return Status::Ok();
  StatusOr<CommandResult> update = RunOnHost(host, AptGet({"update"}));
  if (!update.ok()) return update.status();
  refreshed_ = true;
  return Status::Ok();
}

StatusOr<std::vector<PackageUpdate>> AptPackages::Plan(Host& host) {
  if (Status refreshed = RefreshOnce(host); !refreshed.ok()) return refreshed;
  StatusOr<CommandResult> simulation =
      RunOnHost(host, AptGet({"-s", settings_.os_rolling_upgrade ? "full-upgrade" : "upgrade"}));
  if (!simulation.ok()) return simulation.status();
  return Select(ParseAptSimulation(simulation->output), settings_.filter);
}

std::vector<std::string> AptPackages::Action(const std::vector<PackageUpdate>& plan) const {
  if (settings_.os_rolling_upgrade) return {"full-upgrade"};
  if (!settings_.filter.Narrows()) return {"upgrade"};
  std::vector<std::string> action = {"install", "--only-upgrade"};
  for (const PackageUpdate& update : plan) action.push_back(update.install_spec);
  return action;
}

StatusOr<std::vector<std::string>> AptPackages::Scan(Host& host) {
  StatusOr<std::vector<PackageUpdate>> plan = Plan(host);
  if (!plan.ok()) return plan.status();
  return UpdateTitles(*plan);
}

StatusOr<StageResult> AptPackages::Stage(Host& host) {
  StatusOr<std::vector<PackageUpdate>> plan = Plan(host);
  if (!plan.ok()) return plan.status();
  if (plan->empty()) return StageResult{};
  std::vector<std::string> args = {"-y", "-d"};
  for (std::string& arg : Action(*plan)) args.push_back(std::move(arg));
  StatusOr<CommandResult> download = RunOnHost(host, AptGet(args));
  if (!download.ok()) return download.status();
  return StageResult{.titles = UpdateTitles(*plan)};
}

StatusOr<std::vector<std::string>> AptPackages::Installed(Host& host,
                                                          const std::vector<PackageUpdate>& plan) {
  Command query;
  query.argv = {"dpkg-query", "-W", "-f=${binary:Package}\\t${Package}\\t${Version}\\n"};
  for (const PackageUpdate& update : plan) query.argv.push_back(update.name);
  query.timeout = settings_.timeout;
  StatusOr<CommandResult> result = RunOnHost(host, query, {0, 1});  // 1: one is unknown
  if (!result.ok()) return result.status();
  std::map<std::string, std::string> versions;  // by name, with and without architecture
  for (const std::string& line : SplitLines(result->output)) {
    size_t first = line.find('\t');
    size_t second = line.find('\t', first == std::string::npos ? 0 : first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    std::string version = line.substr(second + 1);
    versions[line.substr(0, first)] = version;
    versions.emplace(line.substr(first + 1, second - first - 1), version);
  }
  std::vector<std::string> titles;
  std::string missing;
  for (const PackageUpdate& update : plan) {
    auto it = versions.find(update.name);
    if (it != versions.end() && it->second == update.new_version) {
      titles.push_back(UpdateTitle(update));
    } else {
      missing += (missing.empty() ? "" : ", ") + update.name + " is at " +
                 (it == versions.end() ? "no version" : it->second) + ", not " + update.new_version;
    }
  }
  if (!missing.empty()) {
    return InternalError("apt-get finished but dpkg disagrees: " + missing);
  }
  return titles;
}

StatusOr<InstallResult> AptPackages::Install(Host& host) {
  StatusOr<std::vector<PackageUpdate>> plan = Plan(host);
  if (!plan.ok()) return plan.status();
  InstallResult result;
  if (!plan->empty()) {
    std::vector<std::string> args = {"-y", "-o", "Dpkg::Options::=--force-confdef", "-o",
                                     "Dpkg::Options::=--force-confold"};
    for (std::string& arg : Action(*plan)) args.push_back(std::move(arg));
    StatusOr<CommandResult> install = RunOnHost(host, AptGet(args));
    if (!install.ok()) return install.status();
    StatusOr<std::vector<std::string>> titles = Installed(host, *plan);
    if (!titles.ok()) return titles.status();
    result.titles = std::move(*titles);
  }
  for (const PackageUpdate& update : *plan) {
    result.firmware_or_kernel_changed |= IsKernelOrFirmwarePackage(update.name);
  }

  StatusOr<FileInfo> sentinel = host.Stat(kRebootSentinel);
  if (!sentinel.ok()) return sentinel.status();
  result.reboot_required = sentinel->exists;
  if (result.reboot_required) {
    StatusOr<FileInfo> packages = host.Stat(kRebootPackages);
    if (!packages.ok()) return packages.status();
    if (packages->exists) {
      StatusOr<std::string> text = host.ReadFile(kRebootPackages);
      if (!text.ok()) return text.status();
      result.reboot_required_by = ParseRebootRequiredPackages(*text);
    }
  }
  for (const std::string& name : result.reboot_required_by) {
    result.firmware_or_kernel_changed |= IsKernelOrFirmwarePackage(name);
  }
  result.message = DescribeInstall(result);
  return result;
}

}  // namespace kcau::agent
