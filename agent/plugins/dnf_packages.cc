#include "agent/plugins/dnf_packages.h"

#include <map>

#include "agent/plugins/dnf_output.h"
#include "agent/plugins/host_command.h"
#include "agent/plugins/install_summary.h"

namespace kcau::agent {

Command DnfPackages::Dnf(const std::vector<std::string>& args, bool quiet) const {
  Command command;
  command.argv = {"dnf"};
  if (quiet) command.argv.push_back("-q");
  if (settings_.target_release) command.argv.push_back("--releasever=" + *settings_.target_release);
  if (settings_.include_recommended) {
    command.argv.push_back(std::string("--setopt=install_weak_deps=") +
                           (*settings_.include_recommended ? "True" : "False"));
  }
  command.argv.insert(command.argv.end(), args.begin(), args.end());
  command.timeout = settings_.timeout;
  return command;
}

StatusOr<std::vector<PackageUpdate>> DnfPackages::Plan(Host& host) {
  std::vector<std::string> args;
  if (settings_.os_rolling_upgrade) {
    args = {"distro-sync", "--assumeno"};
  } else {
    args = {"check-update"};
    if (settings_.filter.security_only) args.push_back("--security");
  }
  if (!refreshed_) args.push_back("--refresh");
  // check-update: 100 means updates; distro-sync --assumeno: 1 means it had a transaction
  // and was told no, which is told from a failure by its last line.
  Command plan = Dnf(args, /*quiet=*/!settings_.os_rolling_upgrade);
  StatusOr<CommandResult> result =
      RunOnHost(host, plan,
                settings_.os_rolling_upgrade ? std::initializer_list<int>{0, 1}
                                             : std::initializer_list<int>{0, 100});
  if (!result.ok()) return result.status();
  if (settings_.os_rolling_upgrade && result->exit_code == 1 &&
      result->output.find("Operation aborted") == std::string::npos) {
    return UnavailableError("\"" + DescribeCommand(plan) + "\" failed (exit 1):\n" +
                            FailureOutput(result->output));
  }
  refreshed_ = true;
  return Select(settings_.os_rolling_upgrade
                    ? ParseDnfTransaction(result->output)
                    : ParseDnfCheckUpdate(result->output, settings_.filter.security_only),
                settings_.filter);
}

std::vector<std::string> DnfPackages::Action(const std::vector<PackageUpdate>& plan) const {
  if (settings_.os_rolling_upgrade) return {"distro-sync"};
  std::vector<std::string> action = {"upgrade"};
  if (settings_.filter.Narrows()) {
    for (const PackageUpdate& update : plan) action.push_back(update.install_spec);
  }
  return action;
}

StatusOr<std::vector<std::string>> DnfPackages::Scan(Host& host) {
  StatusOr<std::vector<PackageUpdate>> plan = Plan(host);
  if (!plan.ok()) return plan.status();
  return UpdateTitles(*plan);
}

StatusOr<StageResult> DnfPackages::Stage(Host& host) {
  StatusOr<std::vector<PackageUpdate>> plan = Plan(host);
  if (!plan.ok()) return plan.status();
  if (plan->empty()) return StageResult{};
  std::vector<std::string> args = {"-y", "--downloadonly"};
  for (std::string& arg : Action(*plan)) args.push_back(std::move(arg));
  StatusOr<CommandResult> download = RunOnHost(host, Dnf(args, /*quiet=*/false));
  if (!download.ok()) return download.status();
  return StageResult{.titles = UpdateTitles(*plan)};
}

StatusOr<std::vector<std::string>> DnfPackages::Installed(Host& host,
                                                          const std::vector<PackageUpdate>& plan) {
  std::vector<std::string> args = {"repoquery", "--installed", "--qf", "%{name} %{evr}"};
  for (const PackageUpdate& update : plan) args.push_back(update.name);
  StatusOr<CommandResult> result = RunOnHost(host, Dnf(args));
  if (!result.ok()) return result.status();
  // A package may be installed in several versions at once (kernels): any will do.
  std::multimap<std::string, std::string> versions;
  for (const std::string& line : SplitLines(result->output)) {
    size_t space = line.find(' ');
    if (space != std::string::npos) versions.emplace(line.substr(0, space), line.substr(space + 1));
  }
  std::vector<std::string> titles;
  std::string missing;
  for (const PackageUpdate& update : plan) {
    bool found = false;
    auto [begin, end] = versions.equal_range(update.name);
    for (auto it = begin; it != end; ++it) found = found || it->second == update.new_version;
    if (found) {
      titles.push_back(UpdateTitle(update));
    } else {
      missing += (missing.empty() ? "" : ", ") + update.name + " is not at " + update.new_version;
    }
  }
  if (!missing.empty()) return InternalError("dnf finished but rpm disagrees: " + missing);
  return titles;
}

Status DnfPackages::JudgeReboot(Host& host, InstallResult& result) {
  using Verdict = NeedsRestarting::Verdict;
  Command needs_restarting = Dnf({"needs-restarting", "-r"});
  StatusOr<CommandResult> ran = RunOnHost(host, needs_restarting, {0, 1});
  if (!ran.ok()) return ran.status();
  NeedsRestarting verdict = ParseNeedsRestarting(ran->output, ran->exit_code);
  switch (verdict.verdict) {
    case Verdict::kNoReboot:
      return Status::Ok();
    case Verdict::kReboot:
      result.reboot_required = true;
      result.reboot_required_by = verdict.packages;
      return Status::Ok();
    case Verdict::kUnknown:
      return UnavailableError("\"" + DescribeCommand(needs_restarting) + "\" failed (exit " +
                              std::to_string(ran->exit_code) + "):\n" + FailureOutput(ran->output));
    case Verdict::kUnavailable:
      break;
  }
  // No needs-restarting: the kernel is what surely needs a reboot.
  Command kernels{.argv = {"rpm", "-q", "--last", "kernel-core", "kernel"},
                  .timeout = settings_.timeout};
  StatusOr<CommandResult> installed = RunOnHost(host, kernels, {0, 1, 2});  // 1, 2: one missing
  if (!installed.ok()) return installed.status();
  std::optional<std::string> newest = NewestKernel(installed->output);
  if (!newest) return Status::Ok();
  Command uname{.argv = {"uname", "-r"}, .timeout = settings_.timeout};
  StatusOr<CommandResult> running = RunOnHost(host, uname);
  if (!running.ok()) return running.status();
  std::string running_kernel = OutputTail(running->output, 1);
  if (running_kernel != *newest) {
    result.reboot_required = true;
    result.reboot_required_by = {"kernel " + *newest + " (running " + running_kernel + ")"};
    result.firmware_or_kernel_changed = true;
  }
  return Status::Ok();
}

StatusOr<InstallResult> DnfPackages::Install(Host& host) {
  StatusOr<std::vector<PackageUpdate>> plan = Plan(host);
  if (!plan.ok()) return plan.status();
  InstallResult result;
  if (!plan->empty()) {
    std::vector<std::string> args = {"-y"};
    for (std::string& arg : Action(*plan)) args.push_back(std::move(arg));
    // Not quiet: -q also silences rpm's own error lines, the ones that say what failed.
    StatusOr<CommandResult> install = RunOnHost(host, Dnf(args, /*quiet=*/false));
    if (!install.ok()) return install.status();
    StatusOr<std::vector<std::string>> titles = Installed(host, *plan);
    if (!titles.ok()) return titles.status();
    result.titles = std::move(*titles);
  }
  if (Status judged = JudgeReboot(host, result); !judged.ok()) return judged;
  for (const PackageUpdate& update : *plan) {
    result.firmware_or_kernel_changed |= IsKernelOrFirmwarePackage(update.name);
  }
  for (const std::string& name : result.reboot_required_by) {
    result.firmware_or_kernel_changed |= IsKernelOrFirmwarePackage(name);
  }
  result.message = DescribeInstall(result);
  return result;
}

}  // namespace kcau::agent
