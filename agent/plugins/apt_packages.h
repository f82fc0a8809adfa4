// The `packages` plug-in on a Debian or Ubuntu host: apt-get, non-interactive.
//   Scan     apt-get update, then the plan of `apt-get -s upgrade` (full-upgrade with
//            osRollingUpgrade), narrowed by include/exclude/securityOnly
//   Stage    the same with -d: downloaded into /var/cache/apt/archives, nothing installed
//   Install  apt-get upgrade (or install --only-upgrade of exactly the narrowed plan's
//            versions), keeping changed configuration files; then dpkg's database is asked
//            what each package is at, and /var/run/reboot-required says whether to reboot
//            (reboot-required.pkgs, why)
//
// Thread-safety: one thread at a time (a Plugin).
#pragma once

#include <string>
#include <vector>

#include "agent/plugin.h"
#include "agent/plugins/packages_settings.h"

namespace kcau::agent {

class AptPackages final : public Plugin {
 public:
  explicit AptPackages(PackagesSettings settings) : settings_(std::move(settings)) {}

  std::string Name() const override { return kPackagesPlugin; }
  StatusOr<std::vector<std::string>> Scan(Host& host) override;
  StatusOr<StageResult> Stage(Host& host) override;
  StatusOr<InstallResult> Install(Host& host) override;

 private:
  // `apt-get update` once per plug-in: Stage and Install act on the lists Scan read.
  Status RefreshOnce(Host& host);
  // What apt would install now, narrowed by the filter.
  StatusOr<std::vector<PackageUpdate>> Plan(Host& host);
  // apt-get with the plug-in's timeout, environment and common options, then `args`.
  Command AptGet(const std::vector<std::string>& args) const;
  // The verb and packages that act on `plan`: "upgrade", "full-upgrade" or
  // "install --only-upgrade NAME=VERSION...".
  std::vector<std::string> Action(const std::vector<PackageUpdate>& plan) const;
  // The titles of `plan` whose package dpkg now has at the planned version.
  StatusOr<std::vector<std::string>> Installed(Host& host, const std::vector<PackageUpdate>& plan);

  PackagesSettings settings_;
  bool refreshed_ = false;
};

}  // namespace kcau::agent
