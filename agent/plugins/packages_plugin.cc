#include "agent/plugins/packages_plugin.h"

#include "agent/plugins/apt_packages.h"
#include "agent/plugins/dnf_packages.h"
#include "agent/plugins/image_updates.h"

namespace kcau::agent {

namespace {

StatusOr<bool> Exists(Host& host, const std::string& path) {
  StatusOr<FileInfo> info = host.Stat(path);
  if (!info.ok()) return info.status();
  return info->exists;
}

}  // namespace

StatusOr<std::unique_ptr<Plugin>> ChoosePackageBackend(Host& host,
                                                       const PackagesSettings& settings) {
  StatusOr<bool> ostree = Exists(host, "/run/ostree-booted");
  if (!ostree.ok()) return ostree.status();
  if (*ostree) {
    StatusOr<bool> rpm_ostree = Exists(host, "/usr/bin/rpm-ostree");
    if (!rpm_ostree.ok()) return rpm_ostree.status();
    StatusOr<bool> bootc = Exists(host, "/usr/bin/bootc");
    if (!bootc.ok()) return bootc.status();
    if (!*rpm_ostree && !*bootc) {
      return UnavailableError(
          "plug-in packages: the host is image-based (/run/ostree-booted) but has neither "
          "/usr/bin/rpm-ostree nor /usr/bin/bootc");
    }
    return std::unique_ptr<Plugin>(std::make_unique<ImageUpdates>(
        *rpm_ostree ? ImageTool::kRpmOstree : ImageTool::kBootc, settings));
  }
  std::optional<PackageBackend> backend = settings.backend;
  if (!backend) {
    StatusOr<bool> apt = Exists(host, "/usr/bin/apt-get");
    if (!apt.ok()) return apt.status();
    StatusOr<bool> dnf = Exists(host, "/usr/bin/dnf");
    if (!dnf.ok()) return dnf.status();
    if (*apt) {
      backend = PackageBackend::kApt;
    } else if (*dnf) {
      backend = PackageBackend::kDnf;
    } else {
      return UnavailableError(
          "plug-in packages: the host has no package manager kcau knows (looked for "
          "/usr/bin/apt-get and /usr/bin/dnf); name one with the argument \"backend\"");
    }
  }
  if (*backend == PackageBackend::kApt) {
    return std::unique_ptr<Plugin>(std::make_unique<AptPackages>(settings));
  }
  return std::unique_ptr<Plugin>(std::make_unique<DnfPackages>(settings));
}

StatusOr<Plugin*> PackagesPlugin::Backend(Host& host) {
  if (!backend_) {
    StatusOr<std::unique_ptr<Plugin>> chosen = ChoosePackageBackend(host, settings_);
    if (!chosen.ok()) return chosen.status();
    backend_ = std::move(*chosen);
  }
  return backend_.get();
}

StatusOr<std::vector<std::string>> PackagesPlugin::Scan(Host& host) {
  StatusOr<Plugin*> backend = Backend(host);
  if (!backend.ok()) return backend.status();
  return (*backend)->Scan(host);
}

StatusOr<StageResult> PackagesPlugin::Stage(Host& host) {
  StatusOr<Plugin*> backend = Backend(host);
  if (!backend.ok()) return backend.status();
  return (*backend)->Stage(host);
}

StatusOr<InstallResult> PackagesPlugin::Install(Host& host) {
  StatusOr<Plugin*> backend = Backend(host);
  if (!backend.ok()) return backend.status();
  return (*backend)->Install(host);
}

}  // namespace kcau::agent
