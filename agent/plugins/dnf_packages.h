// The `packages` plug-in on a Fedora or RHEL host: dnf, non-interactive.
//   Scan     `dnf check-update --refresh` (exit 100: updates; --security with securityOnly),
//            or the transaction `dnf distro-sync --assumeno` would run (osRollingUpgrade),
//            narrowed by include/exclude
//   Stage    the same action with --downloadonly
//   Install  dnf upgrade (of exactly the narrowed plan's versions when narrowed) or
//            distro-sync; then the rpm database is asked what each package is at, and
//            `dnf needs-restarting -r` says whether to reboot. Where that command is missing
//            (no dnf-plugins-core), a reboot is needed when the newest installed kernel is
//            not the running one (`rpm -q --last kernel-core kernel` against `uname -r`).
//
// Thread-safety: one thread at a time (a Plugin).
#pragma once

#include <string>
#include <vector>

#include "agent/plugin.h"
#include "agent/plugins/packages_settings.h"

namespace kcau::agent {

class DnfPackages final : public Plugin {
 public:
  explicit DnfPackages(PackagesSettings settings) : settings_(std::move(settings)) {}

  std::string Name() const override { return kPackagesPlugin; }
  StatusOr<std::vector<std::string>> Scan(Host& host) override;
  StatusOr<StageResult> Stage(Host& host) override;
  StatusOr<InstallResult> Install(Host& host) override;

 private:
  // What dnf would install now, narrowed by the filter. The first plan of the plug-in
  // refreshes the repositories' metadata.
  StatusOr<std::vector<PackageUpdate>> Plan(Host& host);
  // dnf with the plug-in's timeout and options, then `args`; quiet (-q) for what is parsed,
  // but not where the table of a transaction is read or an error is to be reported.
  Command Dnf(const std::vector<std::string>& args, bool quiet = true) const;
  // "upgrade", "distro-sync" or "upgrade NEVRA..." for `plan`.
  std::vector<std::string> Action(const std::vector<PackageUpdate>& plan) const;
  StatusOr<std::vector<std::string>> Installed(Host& host, const std::vector<PackageUpdate>& plan);
  // Fills reboot_required and reboot_required_by.
  Status JudgeReboot(Host& host, InstallResult& result);

  PackagesSettings settings_;
  bool refreshed_ = false;
};

}  // namespace kcau::agent
