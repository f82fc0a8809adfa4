// The `packages` plug-in (kcau's default, as the cmdlet's default plug-in): updates the
// host's packages with what it has. The back end is chosen on the first call, from the host:
//   /run/ostree-booted            image-based: rpm-ostree (or bootc where it has no rpm-ostree)
//   argument backend              apt or dnf, as the administrator says
//   /usr/bin/apt-get              apt (a Debian host with dnf installed is still Debian)
//   /usr/bin/dnf                  dnf
//
// Thread-safety: one thread at a time (a Plugin).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agent/plugin.h"
#include "agent/plugins/packages_settings.h"

namespace kcau::agent {

class PackagesPlugin final : public Plugin {
 public:
  explicit PackagesPlugin(PackagesSettings settings) : settings_(std::move(settings)) {}

  std::string Name() const override { return kPackagesPlugin; }
  StatusOr<std::vector<std::string>> Scan(Host& host) override;
  StatusOr<StageResult> Stage(Host& host) override;
  StatusOr<InstallResult> Install(Host& host) override;

 private:
  StatusOr<Plugin*> Backend(Host& host);

  PackagesSettings settings_;
  std::unique_ptr<Plugin> backend_;
};

// The back end the `packages` plug-in uses on `host` with `settings`.
StatusOr<std::unique_ptr<Plugin>> ChoosePackageBackend(Host& host,
                                                       const PackagesSettings& settings);

}  // namespace kcau::agent
